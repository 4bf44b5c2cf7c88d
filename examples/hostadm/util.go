package main

import "io"

// withClient opens a client with open, runs fn with it and closes it.
func withClient[C io.Closer](env *Env, open func(*Env) (C, error), fn func(C) error) error {
	c, err := open(env)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

// nonNil returns s, or an empty slice for a nil s, so that JSON output
// shows [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// orDash returns s, or "-" for an empty table cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
