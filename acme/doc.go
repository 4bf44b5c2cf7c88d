// Package acme obtains and renews certificates for a node's API and web
// interface with the ACME protocol, as pvenode acme does: accounts,
// http-01 and dns-01 challenge plugins, node domains, orders, renewal and
// custom certificate upload.
//
// # Files
//
// Everything is read and written where Proxmox VE keeps it, below
// Config.Root, so a Client works on the live host, a mounted system or a
// fixture tree:
//
//   - /etc/pve/priv/acme/NAME: one account per file (JSON with the
//     account URL, directory, terms of service, the CA's account object
//     and the PEM key; mode 0600). Deactivated accounts are renamed to
//     _deactivated_NAME_N.
//   - /etc/pve/priv/acme/plugins.cfg: challenge plugins in section-config
//     format (standalone always present, dns plugins with api, base64url
//     data of KEY=VALUE lines, validation-delay, nodes, disable). Edits
//     keep the file's other lines byte for byte.
//   - /etc/pve/nodes/NODE/config: the node's "acme" and "acmedomain0" to
//     "acmedomain5" properties, through package node.
//   - /etc/pve/nodes/NODE/pveproxy-ssl.pem and .key (/etc/pve/local links
//     to the node's folder): the installed certificate chain and its key
//     (0600), written atomically. The default node certificate
//     (pve-ssl.pem, pve-ssl.key) and the cluster CA files are never
//     written: a target that resolves to one of them is refused with
//     ErrProtected.
//
// # Orders
//
// Client.Order places an order for every domain of the node, sets up each
// pending authorization with its plugin, waits once for the longest
// validation delay, triggers and waits for every validation, then sends a
// CSR for a new key (RSA 2048/4096, ECDSA P-256/P-384), downloads the chain
// and installs it, reporting progress line by line as pvenode acme cert
// order prints it. Every TXT record and the standalone listener are
// removed again when the order ends, also on failure or cancellation.
// Client.Renew and Client.RenewIfDue (for a daily timer) renew when the
// certificate expires within 30 days (Config.RenewWithin), optionally
// revoking the old one.
//
// # Challenge plugins
//
// The standalone plugin serves http-01 answers from a built-in server on
// port 80 (Config.HTTPAddr); a taken port is reported with the process
// that holds it where /proc tells.
//
// dns plugins whose api is "nsupdate" run natively: RFC 2136 dynamic
// updates signed with TSIG, configured with acme.sh's NSUPDATE_SERVER,
// NSUPDATE_SERVER_PORT, NSUPDATE_ZONE and NSUPDATE_KEY (a BIND key file)
// variables, so the same plugins.cfg works with Proxmox VE. Every other
// api runs through an exec hook with the proxmox-acme calling convention
// ("setup"|"teardown" API DOMAIN, the TXT value and the plugin data on
// standard input, never in argv), as "nobody" through setpriv when run as
// root. The stock proxmox-acme script cuts plugin values at the first
// space; the hook runs it behind a small wrapper that exports every value
// whole. Plugin data is redacted from errors and progress lines. In the
// CNAME alias mode (a domain's alias property) the record is written as
// _acme-challenge.ALIAS, which a permanent CNAME from
// _acme-challenge.DOMAIN points to.
//
// # Dependencies
//
// The ACME protocol is golang.org/x/crypto/acme. DNS messages, dynamic
// updates and TSIG signing and verification are github.com/miekg/dns: the
// DNS library of CoreDNS and of Let's Encrypt's own test servers, well
// kept, and complete where a hand-written RFC 2136/8945 encoder would be
// a liability. The tests run the whole life cycle against Pebble (built
// from its Go module, a tool dependency) and its challenge test server,
// and RFC 2136 against BIND 9, all on loopback.
package acme
