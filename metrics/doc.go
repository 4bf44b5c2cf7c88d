// Package metrics exports host metrics to external metric servers as
// Proxmox VE does: status.cfg entries, Graphite (UDP and TCP) and InfluxDB
// (UDP line protocol and the v2 HTTP API) senders, and a collector of the
// host's own metrics.
package metrics
