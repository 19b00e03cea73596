// Command cookieserver is the loopback server of the CLI comparison in
// bench/README.md: every response renews a session cookie, as a logged-in
// site does, and says "ok". It prints its address and serves until it is
// killed.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"sync/atomic"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())
	var n atomic.Int64
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: fmt.Sprintf("%032d", n.Add(1)), Path: "/", MaxAge: 3600, HttpOnly: true})
		fmt.Fprintln(w, "ok")
	})))
}
