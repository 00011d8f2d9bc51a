//go:build !linux

// Command netbench measures bridge network setup; it only works on Linux.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "netbench: Linux only")
	os.Exit(1)
}
