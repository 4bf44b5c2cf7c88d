// Package node covers Proxmox VE node management: task UPIDs and the task
// history under /var/log/pve/tasks, the node configuration file,
// Wake-on-LAN of cluster nodes, and bulk guest start, stop and migration.
package node
