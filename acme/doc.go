// Package acme obtains and renews certificates for a node's API and web
// interface with the ACME protocol, as pvenode acme does: accounts,
// http-01 and dns-01 challenge plugins, node domains, orders, renewal and
// custom certificate upload.
package acme
