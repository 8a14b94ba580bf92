"""`headwatch tray`: the monitor behind a tray icon, for people who do not live in a terminal.

The icon's colour is the state (good, bad building, alert, away, paused, learning), its tooltip the
state and its why, and its menu pauses, resumes, snoozes, re-learns the upright posture, shows the
preview, opens today's report and quits. Qt (PySide6) draws it: QSystemTrayIcon is the tray API
that lives on Linux (X11 trays and Wayland's StatusNotifierItem), macOS and Windows alike.

The monitor runs on a thread of its own through the same ``run_monitor`` as `headwatch monitor`;
it reaches Qt only through signals (queued to Qt's thread), and Qt reaches it only through
``MonitorControls``.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from headwatch.app.controls import DESK_COLOURS, DeskState, MonitorControls, seconds_until_tomorrow
from headwatch.app.desktop import check_tray_can_start
from headwatch.app.live import MonitorRequest, MonitorResult, run_monitor
from headwatch.errors import HeadwatchError

log = logging.getLogger("headwatch")
PREVIEW_SIZE = (800, 600)
PREVIEW_BUTTON = "Show preview"
PREVIEW_KEYS = "p pause/resume · s snooze · u I'm sitting upright · Esc close"


def state_icon(colour: tuple[int, int, int], size: int = 64) -> QtGui.QIcon:
    """A disc in the state's colour with a head over shoulders in white: readable at 16 px."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(QtGui.QColor(*colour))
    painter.drawEllipse(0, 0, size, size)
    painter.setBrush(QtGui.QColor(255, 255, 255))
    s = size / 64.0
    painter.drawEllipse(QtCore.QRectF(23 * s, 10 * s, 18 * s, 18 * s))
    painter.drawRoundedRect(QtCore.QRectF(16 * s, 32 * s, 32 * s, 22 * s), 9 * s, 9 * s)
    painter.end()
    return QtGui.QIcon(pixmap)


class _Bridge(QtCore.QObject):
    """Signals from the monitor's thread to Qt's."""

    state = QtCore.Signal(object)  # DeskState
    frame = QtCore.Signal(object)  # a drawn BGR image
    finished = QtCore.Signal(object)  # MonitorResult, or the error's line
    preview_asked = QtCore.Signal()  # a notification's Show preview button


class PreviewWindow(QtWidgets.QWidget):
    """The preview: the latest look drawn (skeleton, angles, verdict, alert) and the keys."""

    def __init__(self, controls: MonitorControls, toggle_pause: Callable[[], None]) -> None:
        super().__init__()
        self.controls = controls
        self.toggle_pause = toggle_pause
        self.setWindowTitle("headwatch preview")
        self.resize(*PREVIEW_SIZE)
        self.picture = QtWidgets.QLabel("waiting for the next look…")
        self.picture.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 240)
        self.picture.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Ignored)
        keys = QtWidgets.QLabel(PREVIEW_KEYS)
        keys.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addWidget(keys)
        self.shown = threading.Event()  # read by the monitor's thread: draw only while shown
        self._image: QtGui.QImage | None = None

    def show_frame(self, image: Any) -> None:
        height, width = image.shape[:2]
        rgb = image[:, :, ::-1].copy()
        self._image = QtGui.QImage(rgb.data, width, height, 3 * width, QtGui.QImage.Format.Format_RGB888).copy()
        self._fit()

    def _fit(self) -> None:
        if self._image is not None:
            self.picture.setPixmap(QtGui.QPixmap.fromImage(self._image).scaled(
                self.picture.size(), QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                QtCore.Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        self._fit()
        super().resizeEvent(event)

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        self.shown.set()
        super().showEvent(event)

    def hideEvent(self, event: QtGui.QHideEvent) -> None:
        self.shown.clear()
        super().hideEvent(event)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        key = event.key()
        if key == QtCore.Qt.Key.Key_P:
            self.toggle_pause()
        elif key == QtCore.Qt.Key.Key_S:
            self.controls.snooze()
        elif key == QtCore.Qt.Key.Key_U:
            self.controls.upright_now()
        elif key == QtCore.Qt.Key.Key_Escape:
            self.hide()
        else:
            super().keyPressEvent(event)


class _PreviewOutlet:
    """What the monitor's preview output draws into (wanted, show, closed, close): frames are
    drawn and sent to Qt's thread only while the window is shown."""

    closed = False

    def __init__(self, window: PreviewWindow, bridge: _Bridge) -> None:
        self.window = window
        self.bridge = bridge

    @property
    def wanted(self) -> bool:
        return self.window.shown.is_set()

    def show(self, image: Any) -> None:
        self.bridge.frame.emit(image)

    def close(self) -> None:
        return None


class Tray:
    """The icon, its menu and the monitor behind them. ``actions`` names each menu entry (for the
    tests, which drive them as a click would)."""

    def __init__(self, request: MonitorRequest, open_url: Callable[[str], object] = webbrowser.open,
                 report: Callable[[], Path] | None = None, icon: bool = True) -> None:
        """Without ``icon`` (no tray host here) the monitor and the preview work all the same;
        alerts then carry a Show preview button."""
        self.with_icon = icon
        self.controls = MonitorControls()
        self.bridge = _Bridge()
        self.open_url = open_url
        self.report = report
        self.state: DeskState | None = None
        self.result: MonitorResult | None = None
        self.error: str | None = None
        self.preview = PreviewWindow(self.controls, self.toggle_pause)
        self.icon = QtWidgets.QSystemTrayIcon(state_icon(DESK_COLOURS["learning"]))
        self.icon.setToolTip("headwatch: starting")
        self.menu = QtWidgets.QMenu()
        self.actions: dict[str, QtGui.QAction] = {}
        self._build_menu()
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._clicked)
        self.bridge.state.connect(self.show_state)
        self.bridge.frame.connect(self.preview.show_frame)
        self.bridge.finished.connect(self._finished)
        self.bridge.preview_asked.connect(self.show_preview)
        buttons = {} if icon else {PREVIEW_BUTTON: self.bridge.preview_asked.emit}  # reaches Qt's thread queued
        self.request = replace(request, controls=self.controls, show_state=self.bridge.state.emit,
                               preview_window=_PreviewOutlet(self.preview, self.bridge), status_line=False,
                               buttons={**request.buttons, **buttons})
        self._thread = threading.Thread(target=self._watch, name="headwatch-monitor", daemon=True)

    def _build_menu(self) -> None:
        self.status_entry = self._add("status", "headwatch: starting", None)
        self.status_entry.setEnabled(False)
        self.menu.addSeparator()
        self._add("pause_15", "Pause for 15 minutes", lambda: self.controls.pause(15 * 60.0))
        self._add("pause_60", "Pause for 1 hour", lambda: self.controls.pause(60 * 60.0))
        self._add("pause_tomorrow", "Pause until tomorrow", lambda: self.controls.pause(seconds_until_tomorrow()))
        self._add("resume", "Resume", self.controls.resume)
        self._add("snooze", "Snooze notifications", self.controls.snooze)
        self._add("upright", "I'm sitting upright now", self.controls.upright_now)
        self.menu.addSeparator()
        self._add("preview", "Show the preview", self.show_preview)
        self._add("report", "Open today's report", self.open_report)
        self.menu.addSeparator()
        self._add("quit", "Quit", self.quit)

    def _add(self, key: str, text: str, do: Callable[[], object] | None) -> QtGui.QAction:
        action = self.menu.addAction(text)
        if do is not None:
            action.triggered.connect(lambda _checked=False: do())
        self.actions[key] = action
        return action

    def start(self) -> None:
        if self.with_icon:
            self.icon.show()
        self._thread.start()

    def _watch(self) -> None:
        try:
            self.bridge.finished.emit(run_monitor(self.request))
        except HeadwatchError as exc:
            self.bridge.finished.emit(str(exc))
        except Exception as exc:  # a bug: the tray must not stay up with a dead monitor behind it
            log.debug("the monitor stopped", exc_info=True)
            self.bridge.finished.emit(f"the monitor stopped unexpectedly ({type(exc).__name__}: {exc}); -v shows more")

    def _finished(self, outcome: MonitorResult | str) -> None:
        if isinstance(outcome, str):
            self.error = outcome
        else:
            self.result = outcome
        self.icon.hide()
        self.preview.close()
        QtWidgets.QApplication.quit()

    def show_state(self, state: DeskState) -> None:
        if state == self.state:
            return  # nothing new to draw (a pause says so every second)
        self.state = state
        self.icon.setIcon(state_icon(state.colour))
        self.icon.setToolTip(state.tooltip)
        self.status_entry.setText(state.tooltip.removeprefix("headwatch: "))
        paused = state.name == "paused"
        for key in ("pause_15", "pause_60", "pause_tomorrow"):
            self.actions[key].setEnabled(not paused)
        self.actions["resume"].setEnabled(paused)

    def toggle_pause(self) -> None:
        if self.state is not None and self.state.name == "paused":
            self.controls.resume()
        else:
            self.controls.pause()

    def show_preview(self) -> None:
        self.preview.show()
        self.preview.raise_()
        self.preview.activateWindow()

    def open_report(self) -> None:
        if self.report is None:
            return
        try:
            page = self.report()
        except HeadwatchError as exc:
            self.icon.showMessage("headwatch", str(exc))
            return
        self.open_url(page.as_uri())

    def _clicked(self, reason: QtWidgets.QSystemTrayIcon.ActivationReason) -> None:
        if reason is QtWidgets.QSystemTrayIcon.ActivationReason.Trigger:  # a left click: the preview
            self.show_preview()

    def quit(self) -> None:
        """Stop the monitor after its current look; Qt's loop ends when it has (``_finished``)."""
        self.controls.stop()


def qt_application() -> QtWidgets.QApplication:
    """Qt's application object. opencv's wheel points Qt at its own (Qt 5) plugins through the
    environment; this process is Qt 6's, so those settings go before Qt reads them. Raises
    HeadwatchError (one line: the libraries missing, or no display) where Qt would abort."""
    for variable in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        if "cv2" in os.environ.get(variable, ""):
            del os.environ[variable]
    existing = QtWidgets.QApplication.instance()
    if isinstance(existing, QtWidgets.QApplication):
        return existing
    check_tray_can_start()
    application = QtWidgets.QApplication(["headwatch"])
    application.setQuitOnLastWindowClosed(False)  # closing the preview leaves the tray
    return application


def run_tray(request: MonitorRequest, report: Callable[[], Path] | None = None) -> MonitorResult:
    """Show the tray icon and monitor until Quit, a stop signal or the source's end; without a tray
    host, the same without the icon (notify.without_tray = exit: HeadwatchError). Raises
    HeadwatchError where Qt cannot open here, or when the monitor cannot start."""
    application = qt_application()
    icon = QtWidgets.QSystemTrayIcon.isSystemTrayAvailable()
    if not icon and request.settings.notify.without_tray == "exit":
        raise HeadwatchError("no system tray here (no tray host on this desktop, or no desktop): run "
                             "`headwatch monitor` in a terminal instead")
    if not icon:
        log.info(f"note: no system tray here (no tray host on this desktop): headwatch watches without its icon; "
                 f"alerts come as notifications, their {PREVIEW_BUTTON} button opens the preview; `headwatch "
                 "pause`/`resume` work as ever (notify.without_tray = exit to stop instead)")
    tray = Tray(request, report=report, icon=icon)
    # Ctrl-C or SIGTERM: stop as Quit does. Qt's loop must give Python a moment to see the signal.
    before = {s: signal.signal(s, lambda *_: tray.quit()) for s in (signal.SIGINT, signal.SIGTERM)}
    wake = QtCore.QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        tray.start()
        application.exec()
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    if tray.error is not None:
        raise HeadwatchError(tray.error)
    assert tray.result is not None
    return tray.result
