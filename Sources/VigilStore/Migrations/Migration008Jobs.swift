import GRDB

/// Jobs and their runs (the Jobs API's registry, fed by `vigil job run`), `system.lakeflow.jobs` (one row per job
/// change) and `system.lakeflow.job_run_timeline` (each run cut into clock-hour slices, rewritten as the run goes).
/// A run's output lines live in `logs.sqlite` under the key `-run_id`, apart from the ledger. Times are epoch ms.
enum Migration008Jobs {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE jobs (
                job_id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL,
                creator TEXT NOT NULL,
                created_time INTEGER NOT NULL,
                settings TEXT NOT NULL
            );
            CREATE TABLE job_runs (
                run_id INTEGER PRIMARY KEY AUTOINCREMENT,
                job_id INTEGER NOT NULL,
                number_in_job INTEGER NOT NULL,
                attempt_number INTEGER NOT NULL,
                original_attempt_run_id INTEGER,
                trigger TEXT NOT NULL,
                creator TEXT NOT NULL,
                host TEXT,
                life_cycle_state TEXT NOT NULL,
                result_state TEXT,
                state_message TEXT NOT NULL,
                start_time INTEGER NOT NULL,
                running_time INTEGER,
                execution_end_time INTEGER,
                end_time INTEGER,
                exit_code INTEGER,
                cpu_user_ms INTEGER,
                cpu_system_ms INTEGER,
                peak_rss_bytes INTEGER,
                heartbeat_interval_ms INTEGER NOT NULL,
                last_heartbeat INTEGER NOT NULL
            );
            CREATE INDEX job_runs_job ON job_runs(job_id, run_id);
            CREATE INDEX job_runs_active ON job_runs(life_cycle_state) WHERE end_time IS NULL;
            CREATE TABLE job_changes (
                change_id INTEGER PRIMARY KEY AUTOINCREMENT,
                account_id TEXT,
                workspace_id TEXT NOT NULL,
                job_id TEXT NOT NULL,
                name TEXT,
                description TEXT,
                creator_id TEXT,
                tags TEXT,
                change_time INTEGER NOT NULL,
                delete_time INTEGER,
                run_as TEXT
            );
            CREATE INDEX job_changes_workspace_time ON job_changes(workspace_id, change_time);
            CREATE TABLE job_run_slices (
                account_id TEXT,
                workspace_id TEXT NOT NULL,
                job_id TEXT NOT NULL,
                run_id TEXT NOT NULL,
                period_start_time INTEGER NOT NULL,
                period_end_time INTEGER NOT NULL,
                trigger_type TEXT,
                run_type TEXT,
                run_name TEXT,
                compute_ids TEXT,
                result_state TEXT,
                termination_code TEXT,
                job_parameters TEXT,
                PRIMARY KEY (run_id, period_start_time)
            ) WITHOUT ROWID;
            CREATE INDEX job_run_slices_workspace_time ON job_run_slices(workspace_id, period_start_time);
            CREATE INDEX job_run_slices_job_time ON job_run_slices(job_id, period_start_time);
            """)
    }
}
