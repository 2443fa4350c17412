package devstack

import (
	"fmt"
	"net"
)

// loopback is the only address devstack servers bind.
const loopback = "127.0.0.1"

// freePort asks the kernel for a free TCP port on loopback and releases it.
// Another process may take the port before the caller binds it; callers retry
// on bind errors.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return 0, fmt.Errorf("devstack: find free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// freePorts returns n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	seen := make(map[int]bool, n)
	for len(ports) < n {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports, nil
}
