import { describe, expect, it } from 'vitest';
import { endpointOptions } from './publisher-rest.js';

describe('REST endpoint option mapping', () => {
  it('maps URLs to the SDK options that reach exactly that host and port', () => {
    expect(endpointOptions('http://127.0.0.1:8080')).toEqual({ endpoint: '127.0.0.1', tls: false, port: 8080 });
    expect(endpointOptions('https://rt.example.com')).toEqual({ endpoint: 'rt.example.com', tls: true, tlsPort: 443 });
    expect(endpointOptions('http://localhost:9000')).toEqual({ endpoint: 'localhost', tls: false, port: 9000 });
    expect(endpointOptions('http://rowcast:8080')).toEqual({ restHost: 'rowcast', tls: false, port: 8080 });
    expect(endpointOptions('main')).toEqual({ endpoint: 'main' });
  });
});
