package cluster

import "flag"

// TLSFlags registers --PREFIX-ca, --PREFIX-cert and --PREFIX-key on fs for the TLS client of
// what ("etcd", "NATS") and returns the files they name.
func TLSFlags(fs *flag.FlagSet, prefix, what string) *TLSFiles {
	f := &TLSFiles{}
	fs.StringVar(&f.CA, prefix+"-ca", "", "PEM CA bundle that verifies the "+what+" servers (TLS; empty: the system roots when a client certificate is given)")
	fs.StringVar(&f.Cert, prefix+"-cert", "", "PEM client certificate for mutual TLS to "+what+" (with --"+prefix+"-key)")
	fs.StringVar(&f.Key, prefix+"-key", "", "PEM private key of --"+prefix+"-cert")
	return f
}
