module github.com/httpsession/httpsession/bench

go 1.26.0

require (
	filippo.io/age v1.3.2
	github.com/httpsession/httpsession v0.0.0
	github.com/juju/persistent-cookiejar v1.0.0
	github.com/redis/go-redis/v9 v9.23.0
	golang.org/x/net v0.62.0
)

require (
	filippo.io/hpke v0.4.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/danieljoos/wincred v1.2.3 // indirect
	github.com/dunglas/httpsfv v1.1.2 // indirect
	github.com/frankban/quicktest v1.14.6 // indirect
	github.com/go-json-experiment/json v1.27.2 // indirect
	github.com/godbus/dbus/v5 v5.2.2 // indirect
	github.com/juju/go4 v0.0.0-00010101000000-000000000000 // indirect
	github.com/sony/gobreaker/v2 v2.4.0 // indirect
	github.com/spf13/afero v1.15.0 // indirect
	github.com/zalando/go-keyring v0.2.8 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.48.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/time v0.16.0 // indirect
	gopkg.in/errgo.v1 v1.0.1 // indirect
	gopkg.in/retry.v1 v1.0.3 // indirect
)

replace (
	github.com/httpsession/httpsession => ../
	github.com/juju/go4 => ./internal/go4lock
)
