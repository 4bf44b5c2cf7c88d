// Package apt manages a host's package repositories and updates the way
// Proxmox VE's repository panel and apt do: lossless one-line .list and
// deb822 .sources files, classification of Proxmox VE, Ceph and Debian
// repositories with the checks of the GUI and more, dpkg version ordering,
// installed and available package versions, holds, SecureApt key checks,
// and apt-get update/dist-upgrade through the command runner.
package apt
