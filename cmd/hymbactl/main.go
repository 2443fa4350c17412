// Command hymbactl is the hymbaserve command-line tool: local and remote generation, the
// benchmark, and cluster operations.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"generate":  {"generate text from a model directory, the demo checkpoint, or a cluster (--addr)", runGenerate},
	"bench":     {"benchmark the engine on a random-weight model of the real 1.5B shape", runBench},
	"status":    {"show a cluster's workers, their layer ranges and the plan epoch (--addr)", runStatus},
	"plan":      {"show the plan in force; --propose adds what the planner would choose now", runPlan},
	"rebalance": {"show (--dry-run) or apply the planner's choice: moves, bytes to load, expected pause", runRebalance},
	"drain":     {"drain WORKER: move its layers away, then tell it to leave (--stay keeps it)", runDrain},
	"cordon":    {"cordon WORKER: place no layers on it from the next plan on", runCordon(true)},
	"uncordon":  {"uncordon WORKER", runCordon(false)},
	"move":      {"move --layers A-B --to WORKER: hand the stage holding layers [A,B) to an unused worker", runMove},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hymbactl: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err := c.run(args[1:], stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "hymbactl %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hymbactl COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'hymbactl COMMAND -h' for a command's flags.")
}
