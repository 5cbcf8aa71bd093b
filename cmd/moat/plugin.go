package main

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// pluginBinary is the name kubectl finds a plugin by: `kubectl moat ...` runs the
// executable kubectl-moat on the PATH (krew installs it so, deploy/krew/moat.yaml).
const pluginBinary = "kubectl-moat"

// pluginDisplayName is how the commands name themselves when run as the plugin.
const pluginDisplayName = "kubectl moat"

// pluginMode says whether the program was started as the kubectl plugin: argv[0]'s base
// name is kubectl-moat (kubectl-moat.exe on Windows). kubectl starts plugins by their
// path, so the name is the file's, whatever link or copy it is.
func pluginMode(argv0 string) bool {
	base := filepath.Base(strings.ReplaceAll(argv0, `\`, "/"))
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".exe"), ".EXE")
	return base == pluginBinary
}

// exampleCommand finds "moat" where an example line runs it: at the line's start, after
// its indentation, or after a pipe.
var exampleCommand = regexp.MustCompile(`(?m)(^\s*|\|\s*)moat\b`)

// asPlugin makes the command tree name itself `kubectl moat`: in usage lines (cobra's
// display name of the root, which every subcommand's usage starts with) and in the
// examples, so that what help shows can be pasted as it is.
func asPlugin(root *cobra.Command) {
	if root.Annotations == nil {
		root.Annotations = map[string]string{}
	}
	root.Annotations[cobra.CommandDisplayNameAnnotation] = pluginDisplayName
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Example = exampleCommand.ReplaceAllString(c.Example, "${1}"+pluginDisplayName)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
