//go:build !linux

package main

func checkDiskSpace(e *env, s *Section) {}
