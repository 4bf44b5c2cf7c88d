// Package metrics exports host metrics to external metric servers as
// Proxmox VE does: status.cfg entries, Graphite (UDP and TCP) and InfluxDB
// (UDP line protocol and the v2 HTTP API) senders, and a collector of the
// host's own metrics.
//
// # Configuration
//
// /etc/pve/status.cfg is a section config with "graphite" and "influxdb"
// entries; StatusConfig reads it losslessly and Server holds every option
// Proxmox VE has (server, port, disable, mtu, timeout, path, proto,
// influxdbproto, organization, bucket, api-path-prefix, max-body-size,
// verify-certificate), with the defaults applied by its Effective methods.
// An InfluxDB token is kept in its own private file,
// /etc/pve/priv/metricserver/ID.pw (mode 0600): Client.Token and
// Client.SetToken. Tokens go into the Authorization header only and never
// into errors.
//
// # Sending
//
// NewSender returns the sender for an entry. Graphite gets plaintext
// "path value timestamp" lines, with the path built like Proxmox VE's
// (proxmox.nodes.pve1.cpustat.user; dots inside a component become "-"),
// numbers only, in UDP datagrams that fit the MTU or over TCP with a
// connect and a write timeout. InfluxDB gets line protocol (AppendLine:
// escaping per the reference, NaN and Inf dropped, nanosecond timestamps)
// in MTU-sized UDP datagrams or POSTed to /api/v2/write?org=&bucket=&precision=ns
// with "Authorization: Token", split at max-body-size, with a timeout and
// optional TLS verification. ParseLines decodes line protocol; the encoder
// is fuzzed against it.
//
// # Collecting
//
// Collector reads the host's metrics through its root (so it works on a
// mounted system or a fixture tree): uptime, cpustat with load averages,
// memory, nics, blockstat, ksm (the memory KSM saves) and the ZFS ARC,
// tagged object=nodes,host=NODE as pvestatd does. Collector.Run feeds
// senders every interval until its context ends:
//
//	col, _ := metrics.NewCollector(nil)
//	snd, _ := metrics.NewSender(srv, token)
//	err := col.Run(ctx, []metrics.Sender{snd}, func(err error) { log.Print(err) })
//
// The integration tests send to Graphite's carbon-cache and to InfluxDB
// 1.x (UDP listener; /write behind a checker of the v2 API's rules) started
// on loopback, and read the data back.
package metrics
