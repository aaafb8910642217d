//! The `encore` command line: parses arguments and calls the library.

mod cli;

use clap::Parser;
use cli::{AuthNetwork, Cli, Command, OutputFormat};
use encore::Clock as _;
use encore::Config;
use encore::{commands, commands::Format, commands::PreviewOptions};
use std::process::ExitCode;

impl From<OutputFormat> for Format {
    fn from(f: OutputFormat) -> Format {
        match f {
            OutputFormat::Text => Format::Text,
            OutputFormat::Json => Format::Json,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    encore::init_logging(cli.log_level.as_deref());
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e
                .downcast_ref::<encore::Error>()
                .map(encore::Error::exit_code)
                .unwrap_or(1);
            eprintln!("encore: {}", encore::hide_secrets(&format!("{e:#}")));
            ExitCode::from(code as u8)
        }
    }
}

/// Runs one subcommand. Long because it is one arm per subcommand, each a few lines from the
/// parsed arguments to the library call; the work is in `encore::commands`.
fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.config).map_err(encore::Error::from)?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let only = |feed: &Option<String>| -> Result<Config, encore::Error> {
        match feed {
            None => Ok(config.clone()),
            Some(name) => config.only_feed(name).ok_or_else(|| {
                encore::Error::Usage(format!(
                    "no feed named {name:?} in {} (feeds: {})",
                    config.path.display(),
                    config.feed_names()
                ))
            }),
        }
    };
    match cli.command {
        Command::Check { quiet: true, .. } => commands::check_quiet(&config)?,
        Command::Check { online, feed, .. } => {
            let config = only(&feed)?;
            commands::check(&config, &mut out)?;
            if online {
                current_thread()?.block_on(commands::check_online(&config, &mut out))?;
            }
        }
        Command::PostNow {
            account,
            dry_run,
            test_clock,
        } => {
            let now = match test_clock {
                Some(c) => encore::ScaledClock::parse(&c)
                    .map_err(|e| encore::Error::Usage(format!("--test-clock: {e}")))?
                    .now(),
                None => chrono::Utc::now(),
            };
            current_thread()?.block_on(commands::post_now(
                &config, &account, dry_run, now, &mut out,
            ))?;
        }
        Command::Auth {
            network: AuthNetwork::X { account },
        } => {
            current_thread()?.block_on(commands::auth_x(&config, &account, &mut out))?;
        }
        Command::Auth {
            network: AuthNetwork::LinkedIn { account },
        } => {
            current_thread()?.block_on(commands::auth_linkedin(&config, &account, &mut out))?;
        }
        Command::Preview {
            volume,
            days,
            now,
            seed,
            format,
            feed,
        } => {
            only(&feed)?;
            let opts = PreviewOptions {
                days,
                now,
                seed,
                format: format.into(),
                volume,
                feed,
            };
            current_thread()?.block_on(commands::preview(&config, &opts, &mut out))?;
        }
        Command::Run {
            dry_run,
            now,
            test_clock,
        } => {
            let test_clock = test_clock
                .map(|c| encore::ScaledClock::parse(&c))
                .transpose()
                .map_err(|e| encore::Error::Usage(format!("--test-clock: {e}")))?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            runtime.block_on(encore::run_daemon(
                config,
                encore::RunOptions {
                    dry_run,
                    now,
                    test_clock,
                },
            ))?;
        }
        Command::Backfill => {
            current_thread()?.block_on(async {
                let archive = encore::Archive::open(&config.state_dir)?;
                let stats =
                    commands::backfill_archive(&config, &archive, chrono::Utc::now()).await?;
                println!(
                    "{} pages, {} items read; {} articles archived",
                    stats.pages,
                    stats.items,
                    archive.len()
                );
                Ok::<(), encore::Error>(())
            })?;
        }
        Command::History {
            account,
            feed,
            format,
        } => {
            only(&feed)?;
            let filter = commands::HistoryFilter {
                account: account.as_deref(),
                feed: feed.as_deref(),
            };
            commands::history(&config, filter, format.into(), &mut out)?;
        }
        Command::Report {
            account,
            since,
            format,
            output,
            now,
        } => {
            let opts = commands::ReportOptions {
                account,
                since,
                now: now.unwrap_or_else(chrono::Utc::now),
                format: match format {
                    cli::ReportFormatArg::Text => commands::ReportFormat::Text,
                    cli::ReportFormatArg::Json => commands::ReportFormat::Json,
                    cli::ReportFormatArg::Html => commands::ReportFormat::Html,
                },
            };
            match output {
                Some(path) => {
                    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
                    commands::report(&config, &opts, &mut file)?;
                    std::io::Write::flush(&mut file)?;
                }
                None => commands::report(&config, &opts, &mut out)?,
            }
        }
        Command::Status { format, now, feed } => {
            let now = now.unwrap_or_else(chrono::Utc::now);
            commands::status(&only(&feed)?, now, format.into(), &mut out)?;
        }
    }
    Ok(())
}

fn current_thread() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_config_is_the_library_s() {
        assert_eq!(super::cli::DEFAULT_CONFIG, encore::DEFAULT_PATH);
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
