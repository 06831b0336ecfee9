import { useCallback, useEffect, useRef, useState } from 'react';

import { buttonClass } from '@/components/form/buttonClass';
import { qrReader, type QrReader } from '@/door/qr';
import { useI18n } from '@/i18n';

type CameraState = 'idle' | 'starting' | 'running' | 'denied' | 'unavailable';

const FRAME_EVERY_MS = 200;
/** The same code is read once while it stays in front of the camera; again only after it left for this long. */
const SAME_CODE_GAP_MS = 2500;

/** The camera and its QR reader: `onCode` gets each new code held in front of it. */
export function CameraScanner({ onCode }: { onCode: (code: string) => void }) {
  const { t } = useI18n();
  const [state, setState] = useState<CameraState>('idle');
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | null>(null);
  const timer = useRef<number | null>(null);
  const latest = useRef(onCode);
  useEffect(() => {
    latest.current = onCode;
  }, [onCode]);

  const stop = useCallback(() => {
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = null;
    stream.current?.getTracks().forEach((track) => track.stop());
    stream.current = null;
    if (video.current) video.current.srcObject = null;
    setState('idle');
  }, []);

  useEffect(() => stop, [stop]);

  const start = async () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      setState('unavailable');
      return;
    }
    setState('starting');
    let qr: QrReader;
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
      qr = await qrReader();
    } catch (error) {
      stream.current?.getTracks().forEach((track) => track.stop());
      stream.current = null;
      setState(error instanceof DOMException && error.name === 'NotAllowedError' ? 'denied' : 'unavailable');
      return;
    }
    const element = video.current;
    if (!element) return;
    element.srcObject = stream.current;
    await element.play().catch(() => undefined);
    setState('running');
    let last = { code: '', seen: 0 };
    const tick = async () => {
      if (stream.current === null) return;
      try {
        if (element.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
          const [code] = await qr.read(element);
          const now = performance.now();
          if (code) {
            if (code !== last.code || now - last.seen > SAME_CODE_GAP_MS) latest.current(code);
            last = { code, seen: now };
          }
        }
      } catch {
        // A frame that could not be read: try the next one.
      }
      if (stream.current !== null) timer.current = window.setTimeout(() => void tick(), FRAME_EVERY_MS);
    };
    void tick();
  };

  const running = state === 'running' || state === 'starting';
  return (
    <div className="space-y-3">
      <div className="relative overflow-hidden rounded-lg bg-slate-900" hidden={!running}>
        <video ref={video} className="aspect-video w-full object-cover" muted playsInline aria-label={t.door.cameraHint} />
      </div>
      {state === 'denied' ? <p className="text-sm text-red-800">{t.door.cameraDenied}</p> : null}
      {state === 'unavailable' ? <p className="text-sm text-red-800">{t.door.cameraUnavailable}</p> : null}
      {running ? (
        <>
          <p className="text-sm text-slate-600">{t.door.cameraHint}</p>
          <button type="button" className={buttonClass.secondary} onClick={stop}>
            {t.door.cameraStop}
          </button>
        </>
      ) : (
        <button type="button" className={buttonClass.primary} onClick={() => void start()}>
          {t.door.cameraStart}
        </button>
      )}
    </div>
  );
}
