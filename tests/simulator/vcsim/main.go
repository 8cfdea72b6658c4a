// Command tenantdr-vcsim is a small vCenter simulator for the tenantdr.asr tests.
//
// It serves govmomi's in-process simulator (github.com/vmware/govmomi/simulator, Debian's 0.24.2)
// over HTTPS on a loopback port, with:
//   - an inventory built from a JSON spec (-inventory, see inventory.go), nothing else;
//   - real vCenter AuthorizationManager semantics where vcsim differs (authz.go);
//   - SOAP request accounting at GET /_stats and POST /_stats/reset (stats.go).
//
// Build with tests/simulator/build.sh; drive it from Python with tests/simulator/vcsim.py.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // vAPI REST endpoints (/rest/com/vmware/cis/session, tagging)
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on (port 0 = pick a free port)")
	inventory := flag.String("inventory", "", "inventory spec (JSON); empty = a vCenter without datacenters")
	username := flag.String("username", "administrator@vsphere.local", "the only user name Login accepts")
	password := flag.String("password", "VMware1!", "the only password Login accepts")
	delayMS := flag.Int("delay-ms", 0, "latency added to every SOAP call, in milliseconds")
	urlFile := flag.String("url-file", "", "write the SDK URL to this file once listening")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the inventory build to this file (development aid)")
	flag.Parse()
	log.SetPrefix("tenantdr-vcsim: ")
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	profileFile = *cpuProfile
	if err := run(*listen, *inventory, *username, *password, *delayMS, *urlFile); err != nil {
		log.Fatal(err)
	}
}

var profileFile string

func run(listen, inventory, username, password string, delayMS int, urlFile string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %v", listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-listen %q: only loopback addresses are allowed", listen)
	}
	if username == "" || password == "" {
		return fmt.Errorf("-username and -password must not be empty")
	}

	spec := &Spec{}
	if inventory != "" {
		if spec, err = LoadSpec(inventory); err != nil {
			return err
		}
	}

	// An empty VPX model: the service content of a vCenter (6.5 API) and no inventory at all.
	// Model.Create would otherwise add DC0, clusters, hosts, VMs, a DVS, ...
	model := simulator.VPX()
	model.Datacenter, model.Portgroup, model.Host, model.Cluster = 0, 0, 0, 0
	model.ClusterHost, model.Datastore, model.Machine = 0, 0, 0
	model.Autostart = false
	if err := model.Create(); err != nil {
		return fmt.Errorf("create model: %v", err)
	}
	defer model.Remove()

	// Datastores are directories; every VM gets a few (empty) files there. Prefer tmpfs: on
	// overlay/virtualised disks the file syscalls dominate the build time of large inventories.
	tmpBase := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() && syscall.Access("/dev/shm", 2) == nil {
		tmpBase = "/dev/shm"
	}
	dataDir, err := ioutil.TempDir(tmpBase, "tenantdr-vcsim-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)

	// SIGTERM/SIGINT: during the build (which cannot be interrupted) remove the data directory and
	// exit at once; once serving, shut the server down and return (deferred cleanup runs).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	built := make(chan struct{})
	go func() {
		select {
		case s := <-sig:
			log.Printf("%s during the inventory build: exiting", s)
			_ = os.RemoveAll(dataDir)
			os.Exit(1)
		case <-built:
		}
	}()

	start := time.Now()
	if profileFile != "" {
		f, err := os.Create(profileFile)
		if err != nil {
			return err
		}
		_ = pprof.StartCPUProfile(f)
	}
	gc := debug.SetGCPercent(400) // the build allocates a lot of short-lived garbage
	counts, err := Build(context.Background(), model.Service, spec, dataDir)
	debug.SetGCPercent(gc)
	close(built)
	if profileFile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return fmt.Errorf("build inventory: %v", err)
	}
	dir := newDirectory(spec)
	if err := installAuthorizationManager(dir); err != nil {
		return err
	}
	installUserDirectory(dir)
	installViewManager()
	installSearchIndex()
	installPropertyCollector()
	log.Printf("inventory built in %s: %s", time.Since(start).Round(time.Millisecond), counts)

	// Login accepts exactly these credentials; anything else gets vim.fault.InvalidLogin
	// ("Login failure"), see simulator.SessionManager.validLogin.
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(username, password)}
	model.Service.TLS = new(tls.Config)
	model.Service.RegisterEndpoints = true // the vAPI REST handlers (tagging), see vapi.go
	// NewServer registers the /sdk handlers on model.Service.ServeMux and starts an internal
	// httptest-style server on a throw-away port. We serve the same mux ourselves, wrapped with
	// the SOAP accounting handler, on the requested address; the internal one is closed at once.
	inner := model.Service.NewServer()
	tlsConfig := inner.TLS.Clone() // the simulator's self-signed certificate
	inner.Close()

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	sdkURL := "https://" + addr + "/sdk"
	simulator.Map.SessionManager().ServiceHostName = addr
	for _, s := range simulator.Map.OptionManager().Setting {
		if o := s.GetOptionValue(); o.Key == "vcsim.server.url" {
			o.Value = sdkURL
		}
	}

	// Per-call latency (Model.DelayConfig). Model.Create points the service at &model.DelayConfig,
	// so setting it now delays SOAP calls from here on; the in-process build above ran without it.
	model.DelayConfig = simulator.DelayConfig{Delay: delayMS}

	stats := newSOAPStats()
	server := &http.Server{Handler: stats.wrap(withFaults(vapiLogin(model.Service.ServeMux, username, password))), ErrorLog: log.New(os.Stderr, "http: ", 0)}
	errc := make(chan error, 1)
	go func() { errc <- server.Serve(tls.NewListener(ln, tlsConfig)) }()

	if urlFile != "" {
		// write-then-rename so a reader never sees a partial URL
		tmp := urlFile + ".tmp"
		if err := ioutil.WriteFile(tmp, []byte(sdkURL+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, urlFile); err != nil {
			return err
		}
	}
	fmt.Println(sdkURL)

	select {
	case s := <-sig:
		log.Printf("%s: shutting down", s)
	case err := <-errc:
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = server.Shutdown(ctx)
	return nil
}
