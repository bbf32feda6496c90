// Command plugboard is the Plugboard server, CLI and worker in one binary.
package main

import (
	"os"

	"github.com/plugboard/plugboard/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
