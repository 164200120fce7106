/** One validation problem, as zod reports it (kept structural so the engine needs no zod). */
export interface ConfigIssue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * The one way every config section reports its problems: one indented line per issue, `section.path.to.field:
 * problem`, so a user finds the field whatever part of Rowcast read it.
 */
export function configIssueLines(issues: readonly ConfigIssue[], section: readonly PropertyKey[] = []): string {
  return issues
    .map((issue) => {
      const path = [...section, ...issue.path].map(String).join('.');
      return `  ${path || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}
