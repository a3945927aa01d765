//! Generates the gRPC client and server from proto/rangedb.proto with a
//! vendored protoc, so no system protobuf compiler is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: build scripts are single-threaded; nothing else reads the env concurrently.
    unsafe { std::env::set_var("PROTOC", protoc) };
    tonic_prost_build::configure().compile_protos(&["proto/rangedb.proto"], &["proto"])?;
    println!("cargo:rerun-if-changed=proto/rangedb.proto");
    Ok(())
}
