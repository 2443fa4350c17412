package frontend

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

const healthServicePrefix = "/grpc.health.v1.Health/"

// authUnary and authStream check the bearer API key on every call but the
// health service's.
func authUnary(keys *KeySet) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		if err := checkKey(ctx, keys, info.FullMethod); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func authStream(keys *KeySet) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
		if err := checkKey(ss.Context(), keys, info.FullMethod); err != nil {
			return err
		}
		return next(srv, ss)
	}
}

func checkKey(ctx context.Context, keys *KeySet, method string) error {
	if keys.Len() == 0 || strings.HasPrefix(method, healthServicePrefix) {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if keys.admits(v) {
			return nil
		}
	}
	return grpcError(&Error{Kind: errUnauthenticated,
		Msg: "missing or invalid API key; send metadata authorization: Bearer <key>"})
}

// recoverUnary and recoverStream turn a panic in a handler (a backend bug)
// into an Internal error for that call instead of a crashed server.
func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (resp any, err error) {
		defer recoverCall(log, info.FullMethod, &err)
		return next(ctx, req)
	}
}

func recoverStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) (err error) {
		defer recoverCall(log, info.FullMethod, &err)
		return next(srv, ss)
	}
}

func recoverCall(log *slog.Logger, method string, err *error) {
	if p := recover(); p != nil {
		log.Error("grpc handler panicked", "method", method, "panic", p, "stack", string(debug.Stack()))
		*err = grpcError(fmt.Errorf("panic in %s: %v", method, p))
	}
}
