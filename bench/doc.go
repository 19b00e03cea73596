// Package bench compares httpsession with net/http/cookiejar,
// github.com/juju/persistent-cookiejar, plain encoding/json persistence and
// hand-written headers. It holds only benchmarks and a load test; see
// README.md for the commands and the latest figures.
package bench
