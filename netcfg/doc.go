// Package netcfg reads, validates and writes a host's network
// configuration: the ifupdown2 dialect of /etc/network/interfaces
// (lossless, with a typed model of bridges, bonds and VLANs), the
// interfaces.new staging file that Proxmox VE applies, systemd predictable
// interface names and .link files, and builders for the standard setups.
//
// # Three layers
//
// [Parse] turns a file into a [File]: statements ([Auto], [Source],
// [Stanza] with its [Option] lines, [Comment], [BadLine]) that keep their
// exact bytes. [File.Format] of an untouched file returns the input byte
// for byte; an edit through [Stanza.Set], [Stanza.Add], [File.AddStanza],
// [File.SetAuto] and friends rewrites only the lines it touches, in the
// style of their neighbours. [LoadFS] also reads the files that source
// lines include.
//
// [NewNetwork] gives the file its meaning as ifupdown2 reads it: one
// [Interface] per name with its kind, auto flag and allow classes, address
// families and methods, addresses as [net/netip.Prefix], gateways, MTU,
// [Bridge], [Bond], [VLAN] and [OVS] options, hook commands in order and
// the attributes it does not interpret. [Network.Validate] reports, with
// file:line positions, what would break or what ifupdown2 would read
// differently from what the file seems to say.
//
// [Query] reproduces "ifquery -o json" of ifupdown2 exactly, so scripts
// written against ifquery can switch. [File.Canonical] lays a file out in
// one style without changing what ifupdown2 reads.
//
// # The host's files
//
// [New] opens a system's root ("/" or a mounted target). [Host.Editable],
// [Host.Stage], [Host.Diff], [Host.Revert] and [Host.Commit] work like
// Proxmox VE's staging: changes go to /etc/network/interfaces.new under
// the lock Proxmox VE's API takes, writes are atomic and refuse to
// overwrite a concurrent edit ([ErrConflict]), and [Host.Rollback] undoes
// a commit whose live apply failed. [Host.Links] and [Host.PinName] read
// and write systemd .link files ([ParseLink] is lossless);
// [ParsePredictableName] and [ParseName] take interface names apart;
// [NamingScheme] finds the net.naming-scheme= pin of a kernel command
// line; [Host.SetIPv6] writes the guide's sysctl snippet.
//
// # Setups
//
// [DefaultBridge], [Routed], [Masquerade], [Bonded] and [ManagementVLAN]
// build the admin guide's example configurations from a few parameters;
// with the guide's parameters their output equals the guide's text.
//
// # ifupdown2's reading
//
// Proxmox VE applies the file with ifupdown2, so this package reads it as
// ifupdown2 3.0 (Debian 12) does, including its surprises, which
// validation reports: an auto line counts only for stanzas after it; a
// backslash anywhere joins the text around it with a blank; an unknown
// line inside a stanza (such as a "mapping" block or "source-directory")
// becomes an option of that stanza; top-level source-directory lines are
// ignored. Mako template code is kept verbatim and reported, never
// evaluated (ifupdown2 evaluates it only when python3-mako is installed,
// which Debian does not install by default).
package netcfg
