# converse in a container: a static binary on distroless, as a non-root user.
#   docker build -t converse .
#   docker run -p 8080:8080 converse          # built-in model, development key test/test
#   docker run -p 8080:8080 -v $PWD/converse.yaml:/etc/converse/converse.yaml:ro \
#     converse -config /etc/converse/converse.yaml
# The go build line below is run by deploy/dockerfile_test.go, which checks it
# builds the same program as the README's `go run ./cmd/converse serve`.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/converse ./cmd/converse

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/converse /usr/local/bin/converse
# distroless's nonroot user, by number so that runAsNonRoot can verify it.
USER 65532:65532
# 8080: the Bedrock Runtime API and /healthz, /readyz; 9090: -metrics-addr.
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/converse", "serve", "-addr", "0.0.0.0:8080"]
