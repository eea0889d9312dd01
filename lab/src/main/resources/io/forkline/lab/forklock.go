// Seed 002's program, for `forkline lab fork-lock` (E1): GOROUTINES goroutines released together
// each start PATH with exec.Command(...).Run() (as Start then Wait, to time the start alone), in
// ROUNDS rounds after WARMUP rounds that are not counted. Built with Go 1.19 or older, whose
// syscall.ForkLock is an RWMutex that every fork takes for writing, so the forks of one round
// queue behind each other; Go 1.21 made it the either-or lock.
//
// Usage: forklock GOROUTINES ROUNDS WARMUP PATH
// Prints one line: goroutines=... rounds=... busy_ns=... latencies_ns=..., where each latency
// is from the release of its round to its Start returning, in round order (GOROUTINES per
// round), and busy_ns is the sum over the rounds of the release to the last Wait's return.
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: forklock GOROUTINES ROUNDS WARMUP PATH")
		os.Exit(2)
	}
	goroutines := positive(os.Args[1], "GOROUTINES")
	rounds := positive(os.Args[2], "ROUNDS")
	warmup, err := strconv.Atoi(os.Args[3])
	if err != nil || warmup < 0 {
		fail("WARMUP must be an integer >= 0: " + os.Args[3])
	}
	path := os.Args[4]

	latencies := make([]string, 0, goroutines*rounds)
	var busy time.Duration
	for round := 0; round < warmup+rounds; round++ {
		started, took := runRound(goroutines, path)
		if round < warmup {
			continue
		}
		busy += took
		for _, d := range started {
			latencies = append(latencies, strconv.FormatInt(d.Nanoseconds(), 10))
		}
	}
	fmt.Printf("goroutines=%d rounds=%d busy_ns=%d latencies_ns=%s\n", goroutines, rounds, busy.Nanoseconds(),
		strings.Join(latencies, ","))
}

// runRound releases the goroutines together and returns each one's time to a started child,
// and the time until the last child was waited for.
func runRound(goroutines int, path string) ([]time.Duration, time.Duration) {
	started := make([]time.Duration, goroutines)
	failures := make(chan error, goroutines)
	gate := make(chan struct{})
	var ready, done sync.WaitGroup
	var release time.Time
	ready.Add(goroutines)
	done.Add(goroutines)
	for g := 0; g < goroutines; g++ {
		go func(g int) {
			defer done.Done()
			ready.Done()
			<-gate
			// The seed's command: output into a buffer, which makes os/exec create a pipe.
			var output bytes.Buffer
			cmd := exec.Command(path)
			cmd.Stdout = &output
			cmd.Stderr = &output
			if err := cmd.Start(); err != nil {
				failures <- err
				return
			}
			started[g] = time.Since(release)
			if err := cmd.Wait(); err != nil {
				failures <- err
			}
		}(g)
	}
	ready.Wait()
	// Written before the gate closes: closing a channel happens before a receive that sees it closed.
	release = time.Now()
	close(gate)
	done.Wait()
	took := time.Since(release)
	close(failures)
	for err := range failures {
		fail(path + ": " + err.Error())
	}
	return started, took
}

func positive(text, name string) int {
	n, err := strconv.Atoi(text)
	if err != nil || n <= 0 {
		fail(name + " must be an integer > 0: " + text)
	}
	return n
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "forklock: "+message)
	os.Exit(2)
}
