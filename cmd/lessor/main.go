// Command lessor is a DHCP lease server that reads ISC Kea's configuration
// files and answers Kea's lease_cmds control API.
//
//	lessor -c kea-dhcp4.conf     run
//	lessor -t kea-dhcp4.conf     check a configuration and exit
//	lessor -V                    print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/internal/server"

	// Lease store backends register themselves.
	_ "github.com/lessor-dhcp/lessor/store/memfile"
	_ "github.com/lessor-dhcp/lessor/store/mysql"
	_ "github.com/lessor-dhcp/lessor/store/pgsql"
)

type multi []string

func (m *multi) String() string     { return fmt.Sprint(*m) }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lessor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfgs multi
	fs.Var(&cfgs, "c", "configuration `file` (Kea format); may be given twice (server + control agent)")
	test := fs.String("t", "", "check the configuration `file` and exit")
	testT := fs.String("T", "", "same as -t")
	version := fs.Bool("v", false, "print the version and exit")
	extended := fs.Bool("V", false, "print the extended version and exit")
	debug := fs.Bool("d", false, "debug logging")
	leaseDB := fs.String("lease-database", "", "replace the configuration's lease-database by this `JSON` map (e.g. to run a Kea configuration on PostgreSQL)")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	switch {
	case *version:
		fmt.Fprintln(stdout, server.Version)
		return 0
	case *extended:
		fmt.Fprintln(stdout, server.Extended)
		return 0
	}
	if *testT != "" {
		*test = *testT
	}
	if *test != "" {
		if _, err := config.Load(*test); err != nil {
			fmt.Fprintf(stderr, "Syntax check failed with: %v\n", err)
			return 1
		}
		return 0
	}
	if len(cfgs) == 0 {
		fmt.Fprintln(stderr, "lessor: no configuration file given (-c FILE)")
		fs.Usage()
		return 1
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	var opts []server.Option
	if *leaseDB != "" {
		db, err := kjson.ParseNamed([]byte(*leaseDB), "-lease-database")
		if err != nil || db.Kind != kjson.Map {
			fmt.Fprintf(stderr, "lessor: -lease-database must be a JSON map: %v\n", err)
			return 1
		}
		opts = append(opts, server.WithLeaseDatabase(db))
	}
	if len(cfgs) > 1 {
		opts = append(opts, server.WithAgentConfig(cfgs[1]))
	}
	srv, err := server.New(cfgs[0], log, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "lessor: %v\n", err)
		return 1
	}
	log = srv.Logger()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "lessor: %v\n", err)
		return 1
	}
	defer srv.Close()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			if err := srv.Reload(ctx); err != nil {
				log.Error("configuration reload failed, the previous configuration stays in force", "err", err)
			} else {
				log.Info("configuration reloaded")
			}
		}
	}()
	if f := os.Getenv("LESSOR_CPUPROFILE"); f != "" {
		stopProfile, err := startCPUProfile(f)
		if err != nil {
			log.Error("cpu profile", "err", err)
		} else {
			defer stopProfile()
		}
	}
	log.Info("lessor started", "version", server.Version, "config", cfgs[0])
	if err := srv.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("serve failed", "err", err)
		return 1
	}
	log.Info("lessor shutting down")
	return srv.ExitCode()
}
