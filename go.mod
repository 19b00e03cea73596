module github.com/httpsession/httpsession

go 1.26
