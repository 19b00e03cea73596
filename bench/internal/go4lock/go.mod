module github.com/juju/go4

go 1.26.0
