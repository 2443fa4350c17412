package charttest

import (
	"bufio"
	"go/version"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const dockerDir = "../../docker"

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
	line      int
}

// stage is one FROM ... [AS name] with its instructions.
type stage struct {
	base, name string
	instrs     []instruction
}

// dockerfile is a parsed Dockerfile: the ARG defaults before the first FROM, and the stages.
type dockerfile struct {
	args   map[string]string
	stages []*stage
}

var argRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

func parseDockerfile(t *testing.T, name string) *dockerfile {
	t.Helper()
	df := &dockerfile{args: map[string]string{}}
	for _, in := range readInstructions(t, filepath.Join(dockerDir, name)) {
		switch {
		case in.cmd == "FROM":
			df.stages = append(df.stages, parseFrom(t, name, in, df.args))
		case len(df.stages) == 0 && in.cmd == "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			df.args[k] = v
		case len(df.stages) == 0:
			t.Fatalf("%s:%d: %s before the first FROM", name, in.line, in.cmd)
		default:
			s := df.stages[len(df.stages)-1]
			s.instrs = append(s.instrs, in)
		}
	}
	if len(df.stages) == 0 {
		t.Fatalf("%s: no FROM", name)
	}
	return df
}

func readInstructions(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		cont := strings.HasSuffix(line, "\\")
		cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
		if !cont {
			cmd, rest, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
			out = append(out, instruction{strings.ToUpper(cmd), strings.Join(strings.Fields(rest), " "), start})
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		t.Fatalf("%s: ends inside a continued line", path)
	}
	return out
}

func parseFrom(t *testing.T, name string, in instruction, args map[string]string) *stage {
	t.Helper()
	f := strings.Fields(in.args)
	for len(f) > 0 && strings.HasPrefix(f[0], "--") {
		f = f[1:]
	}
	s := &stage{}
	switch {
	case len(f) == 1:
	case len(f) == 3 && strings.EqualFold(f[1], "AS"):
		s.name = f[2]
	default:
		t.Fatalf("%s:%d: FROM %s", name, in.line, in.args)
	}
	s.base = argRef.ReplaceAllStringFunc(f[0], func(ref string) string {
		v, ok := args[argRef.FindStringSubmatch(ref)[1]]
		if !ok {
			t.Fatalf("%s:%d: FROM uses %s, which has no ARG default", name, in.line, ref)
		}
		return v
	})
	return s
}

// runs returns the stage's RUN arguments joined, with the stage's ENV lines in front.
func (s *stage) runs() string {
	var b strings.Builder
	for _, in := range s.instrs {
		if in.cmd == "RUN" || in.cmd == "ENV" {
			b.WriteString(in.args + "\n")
		}
	}
	return b.String()
}

// user returns the stage's last USER, or "".
func (s *stage) user() string {
	u := ""
	for _, in := range s.instrs {
		if in.cmd == "USER" {
			u = in.args
		}
	}
	return u
}

// copied returns the base names of the files a stage copies from stage from.
func (s *stage) copied(from string) []string {
	var names []string
	for _, in := range s.instrs {
		f := strings.Fields(in.args)
		if in.cmd == "COPY" && len(f) > 2 && f[0] == "--from="+from {
			for _, src := range f[1 : len(f)-1] {
				names = append(names, path.Base(src))
			}
		}
	}
	return names
}

var goBuild = regexp.MustCompile(`go build [^&\n]*`)

// builtCommands returns the ./cmd/X packages of a stage's go build commands, by command line.
func (s *stage) builtCommands() map[string][]string {
	out := map[string][]string{}
	for _, cmd := range goBuild.FindAllString(s.runs(), -1) {
		for _, f := range strings.Fields(cmd) {
			if strings.HasPrefix(f, "./cmd/") {
				out[cmd] = append(out[cmd], strings.TrimPrefix(f, "./cmd/"))
			}
		}
	}
	return out
}

// TestDockerfileCPU checks the CPU image: multi-stage, static binaries (CGO_ENABLED=0) of
// existing commands on a non-Go base, a non-root user, a Go version go.mod accepts.
func TestDockerfileCPU(t *testing.T) {
	df := parseDockerfile(t, "Dockerfile")
	checkImage(t, "Dockerfile", df, []string{"coordinator", "worker", "hymbactl"})
	build := df.stages[0]
	if !strings.Contains(build.runs(), "CGO_ENABLED=0") || strings.Contains(build.runs(), "-tags") {
		t.Errorf("Dockerfile: the build stage must set CGO_ENABLED=0 and no build tags:\n%s", build.runs())
	}
	if final := df.stages[len(df.stages)-1]; strings.HasPrefix(final.base, "golang:") {
		t.Errorf("Dockerfile: the final stage runs on %s, not a minimal base", final.base)
	}
}

// TestDockerfileCUDA checks the CUDA worker image: the worker built with -tags cuda and cgo on
// an nvidia/cuda devel image, run on an nvidia/cuda runtime image as a non-root user, with
// hymbactl for the drain hook.
func TestDockerfileCUDA(t *testing.T) {
	df := parseDockerfile(t, "Dockerfile.cuda")
	checkImage(t, "Dockerfile.cuda", df, []string{"worker", "hymbactl"})
	var cudaWorker bool
	for _, s := range df.stages {
		for cmd, pkgs := range s.builtCommands() {
			if slices.Contains(pkgs, "worker") {
				cudaWorker = strings.Contains(cmd, "-tags cuda") && strings.Contains(s.runs(), "CGO_ENABLED=1 go build -tags cuda") &&
					strings.HasPrefix(s.base, "nvidia/cuda:") && strings.Contains(s.base, "-devel")
			}
		}
	}
	if !cudaWorker {
		t.Error("Dockerfile.cuda: the worker must be built with CGO_ENABLED=1 go build -tags cuda on an nvidia/cuda devel image")
	}
	if final := df.stages[len(df.stages)-1]; !strings.HasPrefix(final.base, "nvidia/cuda:") || !strings.Contains(final.base, "-runtime") {
		t.Errorf("Dockerfile.cuda: final stage on %s, want an nvidia/cuda runtime image", final.base)
	}
}

// checkImage checks what both images share: several stages, the commands built exist in
// cmd/ and are copied into the final stage, a non-root USER, the Go version, the ignore file.
func checkImage(t *testing.T, name string, df *dockerfile, want []string) {
	if len(df.stages) < 2 {
		t.Errorf("%s: %d stage(s), want a multi-stage build", name, len(df.stages))
	}
	final := df.stages[len(df.stages)-1]
	var built []string
	for _, s := range df.stages[:len(df.stages)-1] {
		for _, pkgs := range s.builtCommands() {
			built = append(built, pkgs...)
		}
		if got := final.copied(s.name); s.name != "" && len(got) > 0 {
			slices.Sort(got)
			if w := slices.Sorted(slices.Values(want)); !slices.Equal(got, w) {
				t.Errorf("%s: final stage copies %v from %s, want %v", name, got, s.name, w)
			}
		}
	}
	for _, cmd := range want {
		if !slices.Contains(built, cmd) {
			t.Errorf("%s: does not build ./cmd/%s", name, cmd)
		}
		if b, err := os.ReadFile(filepath.Join(repoRoot, "cmd", cmd, "main.go")); err != nil || !strings.Contains(string(b), "package main") {
			t.Errorf("%s: builds ./cmd/%s, which is not a main package: %v", name, cmd, err)
		}
	}
	if u, _, _ := strings.Cut(final.user(), ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("%s: final stage USER %q, want a non-root user", name, final.user())
	}
	checkGoVersion(t, name, df)
	checkDockerignore(t, name)
}

var goDirective = regexp.MustCompile(`(?m)^go (\S+)$`)

// checkGoVersion checks that ARG GO_VERSION is not older than go.mod's go line (the build
// sets GOTOOLCHAIN=local, so an older Go would refuse the module).
func checkGoVersion(t *testing.T, name string, df *dockerfile) {
	m := goDirective.FindStringSubmatch(readFile(t, filepath.Join(repoRoot, "go.mod")))
	gv := df.args["GO_VERSION"]
	if m == nil || gv == "" || version.Compare("go"+gv, "go"+m[1]) < 0 {
		t.Errorf("%s: ARG GO_VERSION=%q, go.mod needs go %v", name, gv, m)
	}
}

// checkDockerignore checks that NAME.dockerignore keeps every file the commands are built
// from (Go, assembly and embedded files of the module's packages, go.mod, go.sum).
func checkDockerignore(t *testing.T, name string) {
	var patterns []string
	for _, line := range strings.Split(readFile(t, filepath.Join(dockerDir, name+".dockerignore")), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			if strings.HasPrefix(line, "!") {
				t.Fatalf("%s.dockerignore: exceptions (%s) are not supported by this check", name, line)
			}
			patterns = append(patterns, strings.Trim(line, "/"))
		}
	}
	if !slices.Contains(patterns, ".git") {
		t.Errorf("%s.dockerignore does not exclude .git", name)
	}
	for _, f := range sourceFiles(t) {
		for _, p := range patterns {
			if ignores(p, f) {
				t.Errorf("%s.dockerignore: %q excludes %s, which the build needs", name, p, f)
			}
		}
	}
}

// sourceFiles lists, relative to the repository root, the files the commands build from.
func sourceFiles(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{if and .Module .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .SFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}`,
		"./cmd/coordinator", "./cmd/worker", "./cmd/hymbactl")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"go.mod", "go.sum"}
	for _, f := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	if len(files) < 20 {
		t.Fatalf("go list found only %v", files)
	}
	return files
}

// ignores reports whether a .dockerignore pattern excludes file: the pattern matches the file
// or one of its parent directories; "**" matches any number of directories.
func ignores(pattern, file string) bool {
	p, segs := strings.Split(pattern, "/"), strings.Split(file, "/")
	for k := 1; k <= len(segs); k++ {
		if globMatch(p, segs[:k]) {
			return true
		}
	}
	return false
}

func globMatch(p, s []string) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	if p[0] == "**" {
		for i := 0; i <= len(s); i++ {
			if globMatch(p[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	if len(s) == 0 {
		return false
	}
	ok, _ := path.Match(p[0], s[0])
	return ok && globMatch(p[1:], s[1:])
}
