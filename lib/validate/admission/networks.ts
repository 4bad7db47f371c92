import { arrayAt } from '../manifest-values';
import { Report } from '../report';
import { VMI } from './vmi-values';

const INTERFACE_NAME = /^[A-Za-z0-9-_]+$/;
const INTERFACE_BINDINGS = ['bridge', 'masquerade', 'sriov', 'passt', 'binding'];
const INTERFACE_MODELS = ['e1000', 'e1000e', 'igb', 'ne2k_pci', 'pcnet', 'rtl8139', 'virtio'];
const MAC = /^(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4}){2})$/;

// KubeVirt pkg/network/admitter: netsource.go validateSinglePodNetwork, validateSingleNetworkSource
// (validateMultusNetworkSource is the schema's: networkName is required); netiface.go validateNetworkNameUnique, validateInterfaceNameUnique,
// validateNetworksAssignedToInterfaces, validateInterfaceNameFormat, validateInterfaceModel,
// validateMacAddress (link.ValidateMacAddress: net.ParseMAC, 6 bytes); binding.go
// validateInterfaceBindingExists, validateMasqueradeBinding. (An interface without a network is checkFleet's.)
export function checkNetworks(vmi: any, report: Report): void {
  const networks = arrayAt(vmi.networks);
  const interfaces = arrayAt(vmi.domain?.devices?.interfaces);
  const networkByName = new Map<string, any>();
  const interfaceNames = new Set(interfaces.map((iface) => iface?.name));
  let podNetworks = 0;
  networks.forEach((network: any, i: number) => {
    const at = `${VMI}/networks/${i}`;
    if (networkByName.has(network?.name)) report(`${at}/name`, `network name '${network?.name}' is used twice`);
    else networkByName.set(network?.name, network);
    const types = ['pod', 'multus', 'resourceClaim'].filter((t) => network?.[t] !== undefined);
    if (types.length !== 1) report(at, types.length === 0 ? 'a network needs a type (pod or multus)' : `a network has one type, this one has ${types.join(' and ')}`);
    if (network?.pod !== undefined) podNetworks += 1;
    if (!interfaceNames.has(network?.name)) report(`${at}/name`, `network '${network?.name}' has no interface of that name`);
  });
  if (podNetworks > 1) report(`${VMI}/networks`, 'more than one network is the pod network');
  const seen = new Set<string>();
  interfaces.forEach((iface: any, i: number) => {
    const at = `${VMI}/domain/devices/interfaces/${i}`;
    if (seen.has(iface?.name)) report(`${at}/name`, `interface name '${iface?.name}' is used twice: one interface per network`);
    seen.add(iface?.name);
    if (!INTERFACE_NAME.test(String(iface?.name ?? ''))) report(`${at}/name`, `interface name ${JSON.stringify(iface?.name)} may only hold letters, digits, '-' and '_'`);
    const bindings = INTERFACE_BINDINGS.filter((b) => iface?.[b] !== undefined);
    if (bindings.length !== 1) {
      report(at, bindings.length === 0 ? 'an interface needs one binding (masquerade, bridge, sriov, ...)' : `an interface has one binding, this one has ${bindings.join(' and ')}`);
    }
    if (iface?.masquerade !== undefined && networkByName.has(iface?.name) && networkByName.get(iface.name)?.pod === undefined) {
      report(`${at}/masquerade`, 'masquerade works only on the pod network');
    }
    if (iface?.model !== undefined && iface.model !== '' && !INTERFACE_MODELS.includes(iface.model)) {
      report(`${at}/model`, `model ${JSON.stringify(iface.model)} is not one of ${INTERFACE_MODELS.join(', ')}`);
    }
    if (iface?.macAddress !== undefined && iface.macAddress !== '' && !MAC.test(String(iface.macAddress))) {
      report(`${at}/macAddress`, `macAddress ${JSON.stringify(iface.macAddress)} is not a 6-byte MAC address`);
    }
  });
}
