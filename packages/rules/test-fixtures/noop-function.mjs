// A function that does nothing: what a matching rule costs the server without the target's own work.
export const handler = async () => {};
