import type { GitHubAuth, GitHubScope } from './github-access';

// What GitHub's refusals mean for a fleet, in words an operator can act on: shared by every entry
// point that calls the scope's runner endpoints.

/** What a refused installation-token request means. */
export function installationHint(auth: Extract<GitHubAuth, { kind: 'app' }>, status: number): string {
  switch (status) {
    case 401:
      return 'GitHub does not accept the App\'s JWT: github_app_id (App ID or client ID) and github_app_private_key must belong to the same App, '
        + 'the key must not be revoked, and this node\'s clock must be right';
    case 403:
      return 'GitHub refuses to issue a token for this installation (is it suspended?)';
    case 404:
      return `GitHub App ${auth.appId} has no installation ${auth.installationId}: check github_app_installation_id (the number in the URL of the installation's settings page)`;
    default:
      return 'GitHub refused the request';
  }
}

/** The permission the scope's runner endpoints need. */
export function permissionFor(scope: GitHubScope, auth: GitHubAuth): string {
  if (scope.kind === 'repository') {
    return 'the repository permission "Administration: read and write" (GitHub App or fine-grained PAT; a classic PAT needs the scope repo)';
  }
  if (scope.kind === 'organization') {
    return 'the organization permission "Self-hosted runners: read and write" (GitHub App or fine-grained PAT; a classic PAT needs the scope admin:org)';
  }
  return 'a classic PAT with the scope manage_runners:enterprise'
    + (auth.kind === 'app' ? ' (GitHub documents enterprise runner endpoints for classic PATs; GitHub App installation tokens are not accepted there unless the App is installed on the enterprise with that permission)' : '');
}

/** What a refused call on the scope's runner endpoints means. */
export function scopeHint(scope: GitHubScope, auth: GitHubAuth, status: number, acceptedPermissions?: string): string {
  switch (status) {
    case 401:
      return auth.kind === 'pat'
        ? 'GitHub does not accept the PAT in github_token: it is wrong, expired or revoked'
        : 'GitHub does not accept the installation token it has just issued: is the App suspended?';
    case 403:
      return `The ${auth.what} lacks the permission: ${permissionFor(scope, auth)}${acceptedPermissions ? ` (GitHub says it accepts: ${acceptedPermissions})` : ''}`;
    case 404: {
      const where = scope.kind === 'repository' ? `the repository ${scope.owner}/${scope.repo}`
        : scope.kind === 'organization' ? `the organization ${scope.owner} (a personal account has no organization runners: use https://HOST/OWNER/REPO)`
          : `the enterprise ${scope.owner}`;
      const who = auth.kind === 'app'
        ? `the GitHub App is not installed there (installation ${auth.installationId}${scope.kind === 'repository' ? ' has no access to that repository' : ' belongs to another account'})`
        : 'the PAT cannot see it (GitHub answers 404, not 403, for what a token may not see)';
      return `Either github.url is wrong (no ${where}) or ${who}`;
    }
    case 409:
      return 'A runner of this name exists already';
    case 422:
      return 'GitHub refused the request as invalid';
    default:
      return 'GitHub refused the request';
  }
}
