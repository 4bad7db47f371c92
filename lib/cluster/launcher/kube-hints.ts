import { KubeStatusError } from '../runtime/errors';

// What a refusal of the Kubernetes API means for a launcher. A 403's hint names what was really
// refused, read from the Status's message (the authorizer's or an admission plugin's), never a
// guess from the request: OpenShift's OwnerReferencesPermissionEnforcement refuses a create that the
// Role allows.

/** The error with what it means appended. */
export function withKubeHint(error: KubeStatusError, namespace: string): Error {
  return new Error(`${error.message}. ${kubeHint(error, namespace)}`);
}

export function kubeHint(error: KubeStatusError, namespace: string): string {
  switch (error.code) {
    case 401:
      return 'The API server does not accept the pod\'s ServiceAccount token';
    case 403: {
      if (/cannot set blockOwnerDeletion/.test(error.detail)) {
        return 'An admission plugin (OwnerReferencesPermissionEnforcement, as on OpenShift) requires the verb update on pods/finalizers '
          + 'to set blockOwnerDeletion on an object owned by the pod: the launcher\'s Role needs that rule';
      }
      const rbac = /cannot (\S+) resource "([^"]+)" in API group "([^"]*)"/.exec(error.detail);
      if (rbac) return `The pod's ServiceAccount may not ${rbac[1]} ${rbac[2]}${rbac[3] ? ` in API group ${rbac[3]}` : ''}: its Role needs that verb on that resource in namespace ${namespace}`;
      return 'The API server refused the pod\'s ServiceAccount: see its message';
    }
    case 404: {
      if (!/^create /.test(error.what)) return 'It does not exist';
      const owner = /VirtualMachineInstance/.test(error.what) ? 'KubeVirt' : /DataVolume/.test(error.what) ? 'CDI' : undefined;
      return `${owner ? `Is ${owner} installed, and does` : 'Does'} namespace ${namespace} exist?`;
    }
    default:
      return 'The API server refused it';
  }
}
