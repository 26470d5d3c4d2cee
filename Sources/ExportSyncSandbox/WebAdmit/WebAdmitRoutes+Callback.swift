import Foundation

extension WebAdmitRoutes {
    /// Sends the callback once the run reaches its terminal status (callback runs progress on
    /// time alone, since the client is not expected to poll).
    func scheduleCallback(run: ExportFileRun, url: String) {
        let state = self.state
        let legacy = scenario.legacyStatuses
        let delay = run.timeline.seconds
        let clock = environment.clock
        Task {
            try? await Task.sleep(for: .seconds(delay))
            guard let finished = await state.run(run.id, now: clock.now()), finished.status.isTerminal else { return }
            await CallbackSender.post(
                to: url,
                form: [
                    ("export_file[id]", String(finished.id)),
                    ("export_file[export_id]", String(finished.exportId)),
                    ("export_file[status]", finished.status.text(legacy: legacy)),
                ])
        }
    }
}
