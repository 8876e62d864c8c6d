//! `cargo xtask dev`: build, then serve the demo storefront until Ctrl-C.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{build, cmd, root};

const LISTEN: &str = "127.0.0.1:8080";
const SIGINT: i32 = 2;

/// Builds and runs `starling serve` on 127.0.0.1:8080 with ./data and
/// ./dist. Ctrl-C is passed on to the server, which shuts down by itself.
pub fn dev() -> Result<()> {
    build::build(&build::Options::default())?;

    let bin = crate::server_bin(false);
    let mut command = Command::new(&bin);
    command
        .current_dir(root())
        .args([
            "serve",
            "--listen",
            LISTEN,
            "--data-dir",
            "./data",
            "--dist",
            "./dist",
        ])
        // A process group of its own: Ctrl-C reaches the server once,
        // through the handler below, rather than twice.
        .process_group(0);
    eprintln!("$ {}", cmd::display(&command));
    let mut server = command
        .spawn()
        .with_context(|| format!("failed to start {}", bin.display()))?;

    let pid = server.id().to_string();
    ctrlc::set_handler(move || {
        let _ = Command::new("kill").args(["-s", "INT", &pid]).status();
    })
    .context("failed to install the Ctrl-C handler")?;
    println!("Starling demo storefront: http://{LISTEN}/demo/  (Ctrl-C stops the server)");

    let status = server.wait()?;
    // Killed by the Ctrl-C it was sent: a normal way to stop.
    let interrupted = status.signal() == Some(SIGINT);
    if !status.success() && !interrupted {
        bail!("the server exited ({status})");
    }
    Ok(())
}
