import GRDB

/// Samples of Vigil's own `/metrics` series that metric alarms watch (source `vigil_metrics`): one row per series
/// per sample, a counter's increase since the previous sample or a gauge's reading, kept a day and a little (the
/// longest evaluation range).
enum Migration014VigilMetricSamples {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE vigil_metric_samples (
                name TEXT NOT NULL,
                labels TEXT NOT NULL,
                sample_time INTEGER NOT NULL,
                value REAL
            );
            CREATE INDEX vigil_metric_samples_name ON vigil_metric_samples(name, sample_time);
            CREATE INDEX vigil_metric_samples_time ON vigil_metric_samples(sample_time);
            """)
    }
}
