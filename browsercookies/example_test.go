package browsercookies_test

import (
	"context"
	"fmt"
	"log"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/browsercookies"
)

// Import the Firefox session of example.com into a Client's session file.
func Example() {
	c, err := httpsession.New(httpsession.Options{SessionFile: "session.json"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close() // saves the session file
	report, err := browsercookies.Import(context.Background(), c.Jar(), browsercookies.Options{
		Browser: browsercookies.Firefox,
		Domain:  "example.com",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("kept %d cookies of %s\n", report.Kept, report.Profile.Name)
	for _, r := range report.Rejected {
		fmt.Printf("rejected %s for %s: %s\n", r.Name, r.Domain, r.Reason)
	}
	for _, s := range report.Skipped {
		fmt.Printf("skipped %d: %s (%v)\n", s.Count, s.Reason, s.Domains)
	}
}
