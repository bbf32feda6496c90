# Plugboard in a container: a static binary on a distroless base, running as
# a non-root user, with CA certificates and its data (SQLite, the generated
# secret key) in the /data volume.
#
#   docker build -t plugboard .
#   docker run -p 8080:8080 -v plugboard-data:/data plugboard
#
# compose.yaml runs PostgreSQL, Redis and two nodes. The tests build an image
# of the same shape from a binary compiled on the host (see
# cmd/plugboard/container_test.go), since base images cannot be pulled there.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# No cgo: SQLite is modernc.org/sqlite, pure Go, so the binary needs no libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/plugboard ./cmd/plugboard \
 && mkdir -p /out/data

# distroless/static: CA certificates, /etc/passwd with the "nonroot" user
# (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/plugboard /usr/local/bin/plugboard
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV PLUGBOARD_ADDR=0.0.0.0:8080 \
    PLUGBOARD_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/plugboard"]
CMD ["serve"]
