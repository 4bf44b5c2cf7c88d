// Package node covers Proxmox VE node management: task UPIDs and the task
// history under /var/log/pve/tasks, the node configuration file,
// Wake-on-LAN of cluster nodes, and bulk guest start, stop and migration.
//
// # Tasks
//
// ParseUPID reads a task's unique process ID
// (UPID:node:pid:pstart:starttime:type:id:user:, hexadecimal fields, 8 or 9
// digits of pstart) and UPID.LogPath names its log file. Client.Tasks lists
// the task archive (index, index.1) and the active list with the filters of
// pvenode task list; the admin guide's
//
//	pvenode task list --errors --vmid 100
//
// is
//
//	tasks, err := c.Tasks(node.TaskFilter{Errors: true, VMID: "100"})
//
// Client.TaskLog returns a task's log and Client.TaskStatus its final
// status, from the lists or the log's last "TASK ..." line.
//
// # Node configuration and Wake-on-LAN
//
// ConfigFile reads and writes /etc/pve/nodes/NODE/config losslessly, with
// typed accessors for the description, the ACME properties, "wakeonlan"
// (MAC, bind-interface, broadcast-address) and "startall-onboot-delay".
// Client.EditNodeConfig edits it under Proxmox VE's lock. Client.Wake is
// pvenode wakeonlan: it sends the magic packet (package netcfg/wol) for the
// node's wakeonlan MAC.
//
// # Bulk guest actions
//
// StartAll, StopAll and MigrateAll are pvenode startall, stopall and
// migrateall as a library over a caller-supplied Guests implementation (the
// package does not run guests itself): on-boot filtering unless forced, a
// VM ID filter, the first-guest boot delay, start order with up delays,
// clean shutdown then hard stop after a timeout (3 minutes by default,
// overridable, or never), concurrency limits, and a Result per guest.
// A Clock can be swapped in, so tests of timeouts and delays run at once.
package node
