// Command testapp is the workload e2e tests run inside allocations: a small HTTP
// server that says who it is, and a dialer that reports whether it can reach an
// address. It is built once per test run; tests never depend on interpreters.
//
//	testapp serve -listen :8080          answer GET / with "hello from <alloc id>"
//	testapp dial -addr 127.0.0.1:8080    print "ok" or "fail: <err>" once a second
//	testapp links                        print the network interfaces, one per line
//	testapp envoy -c FILE -l LEVEL ...   stand in for Envoy: check the bootstrap, serve (envoy.go)
//	envoy -c FILE -l LEVEL ...           the same, when installed under the name envoy
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

func main() {
	// Installed as "envoy" (a link), it is the Envoy stand-in with Envoy's own
	// command line, as an agent that finds envoy on PATH starts it.
	if filepath.Base(os.Args[0]) == "envoy" {
		os.Exit(runEnvoy(os.Args[1:]))
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testapp serve|dial|links|envoy [flags]")
		os.Exit(2)
	}
	arg := func(name, def string) string {
		for i, a := range os.Args {
			if a == "-"+name && i+1 < len(os.Args) {
				return os.Args[i+1]
			}
		}
		return def
	}
	switch os.Args[1] {
	case "serve":
		listen := arg("listen", ":8080")
		msg := "hello from " + os.Getenv("NOMAD_ALLOC_ID") + "\n"
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, msg) })
		http.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
			for _, kv := range os.Environ() {
				fmt.Fprintln(w, kv)
			}
		})
		fmt.Println("listening on", listen)
		if err := http.ListenAndServe(listen, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "dial":
		addr := arg("addr", "127.0.0.1:8080")
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				fmt.Println("fail:", err)
			} else {
				c.Close()
				fmt.Println("ok")
			}
			time.Sleep(time.Second)
		}
	case "links":
		ifs, err := net.Interfaces()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, i := range ifs {
			fmt.Println(i.Name, i.Flags)
		}
	case "envoy":
		os.Exit(runEnvoy(os.Args[2:]))
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}
