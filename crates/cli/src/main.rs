//! `dangjian`: the one program. `serve` runs the web server, `demo` fills a fresh database with a
//! generated district and serves it, the other commands do office work from a terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use app::App;
use app::demo::DemoOptions;
use app::export::ExportFormat;
use app::members::MemberQuery;
use domain::dues::{DuesCategory, DuesPolicy, parse_yuan};
use store::Db;

const DEFAULT_DB: &str = "sqlite://dangjian.db";
const DEMO_DB: &str = "sqlite://dangjian-demo.db";
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Parser)]
#[command(
    name = "dangjian",
    version,
    about = "党建工作平台：组织、党员、组织生活、党费、服务群众"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The instance's rules: dues (DOMAIN.md §1.3), the back-filling limit of meeting records and the
/// daily volume of residents' photos.
#[derive(clap::Args, Clone)]
struct DuesArgs {
    /// 每月党费上限（元），默认 1000；0 表示不设上限
    #[arg(long, default_value = "1000")]
    dues_cap: String,
    /// 年初核定（yearly，默认）或自工资变动当月调整（month-of-change，2008 年规定第十条）
    #[arg(long, default_value = "yearly")]
    dues_fixing: String,
    /// 农民党员每月党费（元），0.20–1.00
    #[arg(long, default_value = "0.50")]
    farmer_dues: String,
    /// 会议结束后多少天内可以补录会议记录（1–365）
    #[arg(long, default_value_t = app::orglife::DEFAULT_BACKFILL_DAYS)]
    backfill_days: i64,
    /// 群众网上反映时每天最多收下多少照片（MB，按压缩后计），0 表示网上反映不收照片
    #[arg(long, default_value_t = app::calls::DEFAULT_PUBLIC_UPLOAD_MB_PER_DAY)]
    public_upload_mb_per_day: u64,
}

impl DuesArgs {
    fn backfill_days(&self) -> Result<i64, String> {
        if (1..=365).contains(&self.backfill_days) {
            Ok(self.backfill_days)
        } else {
            Err(format!(
                "--backfill-days「{}」无效，应在 1 到 365 之间",
                self.backfill_days
            ))
        }
    }

    fn public_upload_bytes_per_day(&self) -> Result<u64, String> {
        // A terabyte a day is no cap at all; a larger number is a typo.
        if self.public_upload_mb_per_day <= 1024 * 1024 {
            Ok(self.public_upload_mb_per_day * 1024 * 1024)
        } else {
            Err(format!(
                "--public-upload-mb-per-day「{}」过大，应在 0 到 1048576 之间",
                self.public_upload_mb_per_day
            ))
        }
    }

    fn settings(&self) -> Result<app::dues::DuesSettings, String> {
        let mut settings = app::dues::DuesSettings::default();
        let cap = yuan(&self.dues_cap)?;
        settings.policy.monthly_cap = (cap.0 > 0).then_some(cap);
        settings.policy.farmer_amount = yuan(&self.farmer_dues)?;
        settings.fixing = match self.dues_fixing.as_str() {
            "yearly" => domain::dues_ledger::FixingRule::Yearly,
            "month-of-change" => domain::dues_ledger::FixingRule::FromMonthOfChange,
            other => {
                return Err(format!(
                    "--dues-fixing「{other}」无效，应为 yearly 或 month-of-change"
                ));
            }
        };
        Ok(settings)
    }
}

/// How browsers reach the server: through a reverse proxy, over HTTPS.
#[derive(clap::Args, Clone)]
struct WebArgs {
    /// 服务位于反向代理之后：按代理追加的 X-Forwarded-For 最后一项识别客户端地址（用于登录限制）。
    /// 只有代理确实会追加该头、且服务不能被绕过代理直接访问时才可开启
    #[arg(long)]
    trust_proxy: bool,
    /// 浏览器经 HTTPS 访问（直接或经反向代理）：Cookie 加 Secure 标记，并发送 HSTS 头
    #[arg(long)]
    secure_cookies: bool,
}

impl WebArgs {
    fn apply(&self, app: &mut App) {
        app.trust_proxy = self.trust_proxy;
        app.secure_cookies = self.secure_cookies;
    }
}

#[derive(Subcommand)]
enum Command {
    /// 启动网页服务（首次启动自动建库并创建管理员账号）
    Serve {
        /// 数据库地址：sqlite://文件名 或 postgres://用户@主机/库
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: String,
        /// 空库首次启动时创建的顶层党组织名称
        #[arg(long, default_value = "中共某某区委员会")]
        org_name: String,
        #[command(flatten)]
        dues: DuesArgs,
        #[command(flatten)]
        web: WebArgs,
    },
    /// 生成演示数据（一个完整的区）并启动网页服务
    Demo {
        /// 党员人数（多个区县时由各区县平分）
        #[arg(long, default_value_t = 50_000)]
        members: usize,
        /// 区县数；多于 1 个时另建省级党委，各区县接入其下，省级管理员看到各区县之和
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        districts: u16,
        #[arg(long, default_value = DEMO_DB)]
        db: String,
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: String,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// 所有演示账号的密码（默认随机生成）
        #[arg(long)]
        password: Option<String>,
        /// 先清空已有的 SQLite 演示库文件（默认演示库总是重建）
        #[arg(long)]
        reset: bool,
        /// 只生成数据，不启动服务
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        dues: DuesArgs,
        #[command(flatten)]
        web: WebArgs,
    },
    /// 只做数据库迁移；在 Citus 协调节点上同时把统计表、规则表和审计日志按顶层组织分布到各工作节点
    Migrate {
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        /// 要求按 Citus 分布式部署（未装 Citus 时报错）；装有 Citus 时不加也会分布
        #[arg(long)]
        citus: bool,
    },
    /// 导入数据
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// 导出数据
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// 在线备份 SQLite 数据库（服务运行中也可执行）
    Backup {
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// 党费
    Dues {
        #[command(subcommand)]
        what: DuesWhat,
    },
    /// 立即执行一次巡检：组织生活提醒、政治生日祝福、呼声超时自动上报（服务运行时每小时自动执行）
    ///
    /// 一次巡检的所有判断都按同一个时刻（北京时间）：不加参数为现在，--date 为该日 0 点，--at 为指定时刻；时刻不能晚于现在。
    Sweep {
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        /// 按哪一天巡检（YYYY-MM-DD），即该日 0 点（北京时间）：当天稍后才到期的呼声不会上报
        #[arg(long, conflicts_with = "at")]
        date: Option<String>,
        /// 按哪一时刻巡检（"YYYY-MM-DD HH:MM"，北京时间）
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        dues: DuesArgs,
    },
    /// 把整个实例（含历史与审计记录）复制到一个空的 PostgreSQL 数据库：分批写入、显示进度、
    /// 中断后可用 --resume 继续，结束时逐表核对行数、外键与统计数据，有差异则以非零状态退出。
    /// 源库只读打开，复制期间请停止使用源库。
    Copy {
        /// 源库：sqlite://文件名 或 postgres://用户@主机/库
        #[arg(long)]
        from: String,
        /// 目标库（PostgreSQL，须为空库）：postgres://用户@主机/库
        #[arg(long)]
        to: String,
        /// 继续同一次被中断的复制
        #[arg(long)]
        resume: bool,
        /// 每批复制的行数
        #[arg(long, default_value_t = store::copy::DEFAULT_BATCH_ROWS)]
        batch_rows: usize,
        /// 结束时再逐行比对两库的每个值（多读两遍数据，较慢）
        #[arg(long)]
        check_values: bool,
        #[command(flatten)]
        dues: DuesArgs,
    },
    /// 统计数据（各级党组织的汇总数字）：重新生成或与原始数据核对
    Rollups {
        #[command(subcommand)]
        what: RollupsWhat,
    },
}

#[derive(Subcommand)]
enum RollupsWhat {
    /// 按原始数据重新生成全部统计数据
    Rebuild {
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        #[command(flatten)]
        dues: DuesArgs,
    },
    /// 按原始数据重新计数，与统计数据逐项核对；有差异时列出每一项并以非零状态退出
    Verify {
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        #[command(flatten)]
        dues: DuesArgs,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// 从 .xlsx 或 .csv 导入党员（先全部校验，有错则不写入）
    Members {
        file: PathBuf,
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        /// 以哪个用户的名义导入（决定管理范围并记入审计日志）
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
}

#[derive(Subcommand)]
enum ExportWhat {
    /// 导出党员名册到 .xlsx 或 .csv
    Members {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
}

#[derive(Subcommand)]
enum DuesWhat {
    /// 计算每月应交党费，并列出计算过程
    Quote {
        /// in_service, annual_salary, self_employed, retired, farmer, student, unemployed, low_income, hardship
        #[arg(long)]
        category: String,
        /// 计算基数（元），个体经营者为上季度纯收入合计
        #[arg(long)]
        base: Option<String>,
        /// 工资条各项，如 "基本工资=5000,薪级工资=1500,个人所得税=120,养老保险=400"；
        /// 对照表未识别的项目须注明归类：名称=金额:计入、:不计入 或 :扣除
        #[arg(long)]
        components: Option<String>,
        /// 困难党员减免已经批准
        #[arg(long)]
        hardship_approved: bool,
        /// 农民党员每月党费（元），默认 0.50
        #[arg(long)]
        farmer_amount: Option<String>,
        /// 每月上限（元），默认 1000；0 表示不设上限
        #[arg(long)]
        cap: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("错误：{message}");
            ExitCode::FAILURE
        }
    }
}

/// Prints every place where a stored figure differs from a recount of the facts, and says how
/// many there were.
async fn print_rollup_differences(app: &App) -> Result<usize, String> {
    let mut differences = 0;
    for root in app.db.org_root_ids().await.map_err(|e| e.to_string())? {
        for d in app.rollups_verify(root).await.map_err(|e| e.to_string())? {
            differences += 1;
            println!(
                "{}（{}）\t{}\t{}\t统计表 {}\t重新计数 {}",
                d.org_name, d.org_id, d.period, d.metric, d.stored, d.recounted
            );
        }
    }
    Ok(differences)
}

/// `dangjian copy`: the whole instance into an empty PostgreSQL database, then the checks.
async fn copy(
    from: &str,
    to: &str,
    resume: bool,
    batch_rows: usize,
    check_values: bool,
    dues: &DuesArgs,
) -> Result<(), String> {
    if from.trim_end_matches('/') == to.trim_end_matches('/') {
        return Err("源库与目标库是同一个数据库".into());
    }
    let source = Db::connect_read_only(from)
        .await
        .map_err(|e| format!("无法打开源库：{e}"))?;
    let target = Db::connect(to)
        .await
        .map_err(|e| format!("无法连接目标库：{e}"))?;
    let options = store::copy::CopyOptions {
        resume,
        batch_rows,
        source_label: without_password(from),
        stop_after_batches: None,
    };
    let started = std::time::Instant::now();
    let mut bar = ProgressBar::new();
    let report = target
        .copy_from(&source, &options, &mut |p| bar.show(p))
        .await
        .map_err(|e| e.to_string())?;
    bar.finish();
    // Until the planner has statistics for the copied tables it guesses, badly: measured on a
    // 100,000-member province, an import of 10,000 members took 244 s on the fresh copy and
    // 7 s once analysed (docs/BENCHMARKS.md). Autovacuum would get there, hours later.
    eprintln!("更新目标库的查询统计信息（VACUUM ANALYZE）……");
    target.analyze().await.map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    if report.already_finished {
        eprintln!("目标库上的这次复制此前已经完成，以下为重新核对的结果。");
    }
    eprintln!(
        "已核对 {} 张表共 {} 行（用时 {:.0} 秒）。",
        report.tables.len(),
        report.rows,
        seconds
    );
    for d in &report.differences {
        println!("{d}");
    }
    let mut problems = report.differences.len();
    if check_values {
        eprintln!("逐行比对两库的值……");
        let differing = target
            .tables_differing_from(&source)
            .await
            .map_err(|e| e.to_string())?;
        for table in &differing {
            println!("表 {table}：两库的值不一致");
        }
        problems += differing.len();
    }
    let mut app = App::new(target);
    app.dues = dues.settings()?;
    eprintln!("按复制过来的原始数据重新计数统计数据并核对……");
    problems += print_rollup_differences(&app).await?;
    if problems > 0 {
        return Err(format!(
            "复制结果有 {problems} 处与源库不一致（见上）；目标库不能使用，请换一个空库重新复制"
        ));
    }
    eprintln!(
        "复制完成，核对无误：现在可以用 --db {} 启动。",
        without_password(to)
    );
    Ok(())
}

/// A database URL fit to print or to record: the password, if any, replaced.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_string(),
    }
}

/// The copy's progress on the terminal: one line redrawn in place, or on a log (no terminal)
/// a line per table and per tenth of the whole.
struct ProgressBar {
    on_terminal: bool,
    last_table: String,
    last_tenth: u64,
}

impl ProgressBar {
    fn new() -> Self {
        use std::io::IsTerminal;
        ProgressBar {
            on_terminal: std::io::stderr().is_terminal(),
            last_table: String::new(),
            last_tenth: 0,
        }
    }

    fn show(&mut self, p: &store::copy::CopyProgress<'_>) {
        let whole = (p.rows * 100).checked_div(p.total).unwrap_or(100);
        let filled = (whole / 5) as usize;
        let line = format!(
            "[{}{}] {whole:>3}%  {}/{} 行  表 {} {}/{}",
            "#".repeat(filled),
            ".".repeat(20 - filled.min(20)),
            p.rows,
            p.total,
            p.table,
            p.table_rows,
            p.table_total
        );
        if self.on_terminal {
            eprint!("\r{line}\x1b[K");
        } else if p.table != self.last_table || whole / 10 > self.last_tenth {
            eprintln!("{line}");
        }
        self.last_table = p.table.to_string();
        self.last_tenth = whole / 10;
    }

    fn finish(&self) {
        if self.on_terminal {
            eprintln!();
        }
    }
}

async fn open(db: &str) -> Result<App, String> {
    let db = Db::open(db).await.map_err(|e| e.to_string())?;
    Ok(App::new(db))
}

/// Refuses `migrate --citus` before anything is written when the database cannot be distributed.
async fn require_citus(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:") {
        return Err(store::citus::NOT_POSTGRES.into());
    }
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    let version = db.citus_version().await.map_err(|e| e.to_string());
    db.close().await;
    match version? {
        Some(_) => Ok(()),
        None => Err(store::citus::NO_CITUS.into()),
    }
}

/// On a Citus coordinator (found, or demanded with `--citus`), distributes what can be by the
/// top organisation's id and says where every table now lives.
async fn distribute_if_citus(db: &Db, demanded: bool) -> Result<(), String> {
    let version = db.citus_version().await.map_err(|e| e.to_string())?;
    if version.is_none() && !demanded {
        return Ok(());
    }
    let placements = db.citus_distribute().await.map_err(|e| e.to_string())?;
    let (distributed, local): (Vec<_>, Vec<_>) =
        placements.iter().partition(|p| p.kind == "distributed");
    let newly = distributed.iter().filter(|p| p.newly).count();
    eprintln!(
        "Citus {}：{} 张表按顶层组织分布（本次新分布 {} 张）：{}",
        version.unwrap_or_default(),
        distributed.len(),
        newly,
        distributed
            .iter()
            .map(|p| p.table.as_str())
            .collect::<Vec<_>>()
            .join("、")
    );
    eprintln!(
        "其余 {} 张表仍在协调节点上（主键尚不含顶层组织，见 docs/SCALE.md）。",
        local.len()
    );
    Ok(())
}

/// Opens the database for work done in a named user's name (their scope, their audit rows).
async fn open_as(db: &str, username: &str) -> Result<(App, app::Actor), String> {
    let app = open(db).await?;
    let actor = app
        .actor_by_username(username)
        .await
        .map_err(|e| e.to_string())?;
    Ok((app, actor))
}

/// How often the server re-runs the sweep. Messages are keyed so that re-running sends nothing
/// twice; hourly means a reminder goes out within the hour a day or period begins.
const SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

fn print_sweep(report: &app::reminders::SweepReport) {
    eprintln!(
        "巡检完成：{} 个党支部，新提醒 {} 条（其中发展党员 {} 条），政治生日祝福 {} 条，已投递 {} 条；超时自动上报呼声 {} 件；清理过期登录 {} 个{}{}。",
        report.branches,
        report.reminders_queued + report.admission_reminders,
        report.admission_reminders,
        report.greetings_queued,
        report.delivered,
        report.calls_escalated,
        report.sessions_purged,
        if report.figures_rebuilt > 0 {
            "；统计数据已按本月重新生成"
        } else {
            ""
        },
        if report.reports_made > 0 {
            format!("；生成周报、月报 {} 份", report.reports_made)
        } else {
            String::new()
        }
    );
}

/// Takes the address before any other work, so that a busy port is reported at once, in
/// Chinese, and not after minutes of generating a demo.
async fn bind(listen: &str) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "端口已被占用：{listen} 上已有程序在运行（可能是另一个党建工作平台）。\
                 请先关闭它，或用 --listen 换一个端口，例如 --listen 127.0.0.1:8081"
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "没有权限监听 {listen}：1024 以下的端口需要管理员权限，请换一个端口，例如 --listen 127.0.0.1:8080"
            ),
            std::io::ErrorKind::AddrNotAvailable => format!(
                "本机没有地址 {listen}：请检查 --listen 的 IP，只在本机使用时填 127.0.0.1"
            ),
            _ => format!("无法监听 {listen}（{e}）：请检查 --listen 的写法，例如 127.0.0.1:8080"),
        })
}

async fn serve(app: App, listener: tokio::net::TcpListener, listen: &str) -> Result<(), String> {
    let sweeper = app.clone();
    tokio::spawn(async move {
        loop {
            match sweeper.sweep(app::calls::local_now()).await {
                Ok(report) => print_sweep(&report),
                Err(e) => eprintln!("巡检失败（一小时后重试）：{e}"),
            }
            tokio::time::sleep(SWEEP_INTERVAL).await;
        }
    });
    eprintln!(
        "党建工作平台已启动：http://{listen}/ （数据库：{}，按 Ctrl-C 停止）",
        app.db.engine()
    );
    web::serve(app, listener).await.map_err(|e| e.to_string())
}

/// Removes a SQLite database file and its WAL companions, for a fresh demo.
fn remove_sqlite_files(url: &str) {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve {
            db,
            listen,
            org_name,
            dues,
            web,
        } => {
            let listener = bind(&listen).await?;
            let mut app = open(&db).await?;
            app.dues = dues.settings()?;
            app.backfill_days = dues.backfill_days()?;
            web.apply(&mut app);
            app.public_upload_bytes_per_day = dues.public_upload_bytes_per_day()?;
            if let Some(first) = app.bootstrap(&org_name).await.map_err(|e| e.to_string())? {
                eprintln!("已新建数据库并创建顶层党组织「{}」。", first.org_name);
                eprintln!(
                    "管理员账号：{}  初始密码：{}（请登录后在「用户」页面修改）",
                    first.username, first.password
                );
            }
            serve(app, listener, &listen).await
        }
        Command::Demo {
            members,
            districts,
            db,
            listen,
            seed,
            password,
            reset,
            no_serve,
            dues,
            web,
        } => {
            let settings = dues.settings()?;
            let backfill_days = dues.backfill_days()?;
            let public_upload = dues.public_upload_bytes_per_day()?;
            let listener = if no_serve {
                None
            } else {
                Some(bind(&listen).await?)
            };
            if reset || db == DEMO_DB {
                remove_sqlite_files(&db);
            }
            let mut app = open(&db).await?;
            app.dues = settings;
            app.backfill_days = backfill_days;
            web.apply(&mut app);
            app.public_upload_bytes_per_day = public_upload;
            let started = std::time::Instant::now();
            let options = DemoOptions {
                members,
                seed,
                password,
                districts: usize::from(districts),
            };
            let progress = |line: String| eprintln!("{line}");
            let summary = app
                .generate_demo(&options, &progress)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!(
                "演示数据已生成：{} 个党组织（{} 个党支部），{} 个区域节点，{} 名党员，用时 {:.1} 秒。",
                summary.orgs,
                summary.branches,
                summary.territories,
                summary.members,
                started.elapsed().as_secs_f64()
            );
            eprintln!("演示账号（密码相同）：");
            for login in &summary.logins {
                eprintln!(
                    "  {:<18} {:<8} {}  密码：{}",
                    login.username,
                    login.role.label(),
                    login.scope,
                    login.password
                );
            }
            match listener {
                Some(listener) => serve(app, listener, &listen).await,
                None => Ok(()),
            }
        }
        Command::Sweep { db, date, at, dues } => {
            let instant = app::reminders::sweep_instant(
                date.as_deref(),
                at.as_deref(),
                app::calls::local_now(),
            )
            .map_err(|e| e.to_string())?;
            let mut app = open(&db).await?;
            app.dues = dues.settings()?;
            eprintln!("按 {} （北京时间）巡检。", instant.format("%Y-%m-%d %H:%M"));
            let report = app.sweep(instant).await.map_err(|e| e.to_string())?;
            print_sweep(&report);
            Ok(())
        }
        Command::Rollups {
            what: RollupsWhat::Rebuild { db, dues },
        } => {
            let mut app = open(&db).await?;
            app.dues = dues.settings()?;
            for root in app.db.org_root_ids().await.map_err(|e| e.to_string())? {
                let started = std::time::Instant::now();
                let report = app.rollups_rebuild(root).await.map_err(|e| e.to_string())?;
                eprintln!(
                    "统计数据已重新生成：{} 名党员、{} 件呼声、{} 个党支部的台账，共 {} 项数字，用时 {:.1} 秒。",
                    report.members,
                    report.calls,
                    report.branches,
                    report.figures,
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Command::Rollups {
            what: RollupsWhat::Verify { db, dues },
        } => {
            let mut app = open(&db).await?;
            app.dues = dues.settings()?;
            let differences = print_rollup_differences(&app).await?;
            if differences > 0 {
                return Err(format!(
                    "统计数据与原始数据有 {differences} 处不一致（见上）；可运行 dangjian rollups rebuild 重新生成"
                ));
            }
            eprintln!("统计数据与原始数据一致。");
            Ok(())
        }
        Command::Copy {
            from,
            to,
            resume,
            batch_rows,
            check_values,
            dues,
        } => copy(&from, &to, resume, batch_rows, check_values, &dues).await,
        Command::Migrate { db, citus } => {
            if citus {
                require_citus(&db).await?;
            }
            let app = open(&db).await?;
            eprintln!("数据库已迁移到最新版本。");
            distribute_if_citus(&app.db, citus).await
        }
        Command::Import {
            what: ImportWhat::Members { file, db, as_user },
        } => {
            let (app, actor) = open_as(&db, &as_user).await?;
            // The same size limit as an upload, checked before the file is read into memory.
            let limit = app::tabular::LIMITS.file_bytes;
            let size = std::fs::metadata(&file)
                .map_err(|e| format!("无法读取 {}：{e}", file.display()))?
                .len();
            if size > limit as u64 {
                return Err(format!(
                    "{} 超过 {}，请分批导入（每次最多 {} 行）",
                    file.display(),
                    app::tabular::mb(limit as u64),
                    app::tabular::MAX_ROWS
                ));
            }
            let bytes =
                std::fs::read(&file).map_err(|e| format!("无法读取 {}：{e}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            match app.import_members(&actor, &name, &bytes).await {
                Ok(report) => {
                    eprintln!(
                        "导入成功：{} 名党员，用时 {:.1} 秒，其中更新统计汇总 {:.1} 秒（组织生活台账 {:.1} 秒）。",
                        report.imported,
                        report.took.as_secs_f64(),
                        report.figures_took.as_secs_f64(),
                        report.ledgers_took.as_secs_f64()
                    );
                    Ok(())
                }
                Err(app::AppError::ImportRejected(rows)) => {
                    for r in rows.iter().take(200) {
                        eprintln!("第 {} 行 [{}]：{}", r.row, r.column, r.message);
                    }
                    if rows.len() > 200 {
                        eprintln!("……另有 {} 处错误未列出", rows.len() - 200);
                    }
                    Err(format!("文件有 {} 处错误，未导入任何数据", rows.len()))
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Command::Export {
            what: ExportWhat::Members { out, db, as_user },
        } => {
            let (app, actor) = open_as(&db, &as_user).await?;
            let format = ExportFormat::from_name(&out.to_string_lossy());
            let (bytes, count) = app
                .export_members(&actor, &MemberQuery::default(), format)
                .await
                .map_err(|e| e.to_string())?;
            std::fs::write(&out, bytes).map_err(|e| format!("无法写入 {}：{e}", out.display()))?;
            eprintln!("已导出 {count} 名党员到 {}。", out.display());
            Ok(())
        }
        Command::Backup { db, out } => {
            if out.exists() {
                return Err(format!("{} 已存在，请换一个文件名", out.display()));
            }
            let app = open(&db).await?;
            app.db
                .backup_sqlite(&out.to_string_lossy())
                .await
                .map_err(|e| e.to_string())?;
            eprintln!("已备份到 {}。", out.display());
            Ok(())
        }
        Command::Dues {
            what:
                DuesWhat::Quote {
                    category,
                    base,
                    components,
                    hardship_approved,
                    farmer_amount,
                    cap,
                },
        } => dues_quote(
            &category,
            base,
            components,
            hardship_approved,
            farmer_amount,
            cap,
        ),
    }
}

fn yuan(text: &str) -> Result<domain::dues::Fen, String> {
    parse_yuan(text).map_err(|e| format!("金额「{text}」无效：{e}"))
}

fn dues_quote(
    category: &str,
    base: Option<String>,
    components: Option<String>,
    hardship_approved: bool,
    farmer_amount: Option<String>,
    cap: Option<String>,
) -> Result<(), String> {
    let mut policy = DuesPolicy::default();
    if let Some(a) = farmer_amount {
        policy.farmer_amount = yuan(&a)?;
    }
    if let Some(c) = cap {
        let c = yuan(&c)?;
        policy.monthly_cap = (c.0 > 0).then_some(c);
    }
    let input = app::dues::QuoteInput {
        category: category.to_string(),
        base: base.unwrap_or_default(),
        components: components.unwrap_or_default(),
        hardship_approved,
        ..Default::default()
    };
    let result = match app::dues::quote_result(&input, &policy) {
        Ok(r) => r,
        Err(e) => {
            // A pay slip with unclassified items: show how each item was read, then what to add.
            if let Ok(Some(slip)) = app::dues::derive_input_base(&input)
                && !slip.unclassified.is_empty()
            {
                for line in &slip.working {
                    println!("{line}");
                }
                return Err(format!(
                    "{e}。请在这些项目后加 :计入、:不计入 或 :扣除，如 {}=金额:不计入",
                    slip.unclassified[0]
                ));
            }
            if DuesCategory::from_code(category.trim())
                .or_else(|| DuesCategory::from_label(category.trim()))
                .is_none()
            {
                let all: Vec<&str> = DuesCategory::ALL.iter().map(|c| c.code()).collect();
                return Err(format!("{e}（类别可为：{}）", all.join(", ")));
            }
            return Err(e.to_string());
        }
    };
    for line in &result.working {
        println!("{line}");
    }
    println!("每月应交党费：{} 元", result.monthly);
    Ok(())
}
