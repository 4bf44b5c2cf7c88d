// Package fstab reads and writes /etc/fstab without losing comments,
// spacing or order: entries by UUID, LABEL, PARTUUID or path, options as an
// ordered list, and edits that rewrite only the lines they touch.
package fstab
