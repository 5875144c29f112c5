//! ucfs-bench-mountpoint BUCKET MOUNTPOINT --endpoint-url URL [--region R] [--prefix P]
//!                       [--max-threads N]
//!
//! Mounts an S3 bucket read-only with mountpoint-s3's library, configured the way the
//! `mount-s3` command configures it by default (8 MiB parts, 16 FUSE threads, a memory
//! target of 95% of the machine's memory, no data cache, path-style requests when an
//! endpoint is given), and stays in the foreground until the mount is unmounted or the
//! process gets SIGINT/SIGTERM. Credentials come from the standard AWS environment
//! (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
use anyhow::{anyhow, bail, Context, Result};
use mountpoint_s3_client::{config::AddressingStyle, user_agent::UserAgent};
use mountpoint_s3_fs::{
    data_cache::DataCacheConfig,
    fuse::config::{FuseOptions, FuseSessionConfig, MountPoint},
    memory::{effective_total_memory, CandidateSize, PagedPool},
    s3::config::{ClientConfig, MemoryLimitSetting, PartConfig, Region, TargetThroughputSetting},
    s3::{Bucket, Prefix, S3Path},
    MountpointConfig, Runtime, S3FilesystemConfig, Superblock, SuperblockConfig,
};

const PART_SIZE: usize = 8 << 20;

struct Args {
    bucket: String,
    mountpoint: String,
    endpoint: String,
    region: String,
    prefix: String,
    max_threads: usize,
}

fn usage() -> &'static str {
    "usage: ucfs-bench-mountpoint BUCKET MOUNTPOINT --endpoint-url URL [--region R] \
     [--prefix P] [--max-threads N]"
}

fn parse_args() -> Result<Args> {
    let mut pos = Vec::new();
    let (mut endpoint, mut region, mut prefix, mut max_threads) =
        (None, "us-east-1".to_string(), String::new(), 16usize);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = |name: &str| it.next().ok_or_else(|| anyhow!("{name} needs a value\n{}", usage()));
        match a.as_str() {
            "--endpoint-url" => endpoint = Some(val("--endpoint-url")?),
            "--region" => region = val("--region")?,
            "--prefix" => prefix = val("--prefix")?,
            "--max-threads" => max_threads = val("--max-threads")?.parse().context("--max-threads")?,
            "-h" | "--help" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            s if s.starts_with('-') => bail!("unknown option {s}\n{}", usage()),
            _ => pos.push(a),
        }
    }
    if pos.len() != 2 {
        bail!("{}", usage());
    }
    let endpoint = endpoint.ok_or_else(|| anyhow!("--endpoint-url is required\n{}", usage()))?;
    let mountpoint = pos.pop().unwrap();
    let bucket = pos.pop().unwrap();
    Ok(Args { bucket, mountpoint, endpoint, region, prefix, max_threads })
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let mem_limit = (effective_total_memory() as f64 * 0.95) as usize;
    let client_config = ClientConfig {
        region: Region::new_user_specified(args.region.clone()),
        endpoint_url: Some(args.endpoint.clone()),
        addressing_style: AddressingStyle::Path,
        dual_stack: false,
        transfer_acceleration: false,
        auth_config: Default::default(),
        requester_pays: false,
        expected_bucket_owner: None,
        throughput_target: TargetThroughputSetting::Default,
        bind: None,
        part_config: PartConfig::with_part_size(PART_SIZE).validate(MemoryLimitSetting::Default(mem_limit))?,
        user_agent: UserAgent::new(Some("ucfs-bench".to_string())),
        tls_config: None,
    };
    let pool = PagedPool::config()
        .with_candidate_sizes([CandidateSize::new(client_config.part_config.read_size_bytes)])
        .with_memory_limit(mem_limit)
        .build();
    let s3_path = S3Path::new(
        Bucket::new(args.bucket.clone()).context("bucket name")?,
        Prefix::new(&args.prefix).context("prefix")?,
    );
    let client = client_config
        .create_client(pool.clone(), Some(&s3_path))
        .context("failed to create the S3 client")?;
    let runtime = Runtime::new(client.event_loop_group());

    let fs_config = S3FilesystemConfig { read_only: true, ..Default::default() };
    let superblock = Superblock::new(
        client.clone(),
        s3_path,
        SuperblockConfig { cache_config: fs_config.cache_config.clone(), s3_personality: fs_config.s3_personality },
    );
    let fuse_options = FuseOptions {
        read_only: true,
        auto_unmount: false,
        allow_root: false,
        allow_other: false,
        clone_fd: false,
    };
    let fuse_config = FuseSessionConfig::new(MountPoint::new(&args.mountpoint)?, fuse_options, args.max_threads)?;
    let session = MountpointConfig::new(fuse_config, fs_config, DataCacheConfig::default())?
        .create_fuse_session(superblock, client, runtime, pool)
        .context("failed to mount")?;
    eprintln!("ucfs-bench-mountpoint: s3://{} mounted at {}", args.bucket, args.mountpoint);
    session.join().context("FUSE session failed")
}
