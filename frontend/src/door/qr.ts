/**
 * A QR code reader for the camera: the browser's own BarcodeDetector when it reads QR codes
 * (Chromium on Android and macOS, not on Linux), otherwise the `barcode-detector` ponyfill
 * (ZXing-C++ in WebAssembly). Its .wasm is bundled with the app (never fetched from a CDN) so the
 * door reads codes offline: the service worker precaches it with the rest of the app.
 */
import type { BarcodeDetector as BarcodeDetectorPonyfill } from 'barcode-detector/ponyfill';
import zxingWasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url';

export interface QrReader {
  /** The texts of the QR codes in the frame, if any. */
  read: (frame: HTMLVideoElement) => Promise<string[]>;
}

type DetectorClass = typeof BarcodeDetectorPonyfill;

function nativeDetector(): DetectorClass | undefined {
  return (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
}

function reader(detector: BarcodeDetectorPonyfill): QrReader {
  return { read: async (frame) => (await detector.detect(frame)).map((code) => code.rawValue) };
}

export async function qrReader(): Promise<QrReader> {
  const Native = nativeDetector();
  if (Native) {
    try {
      if ((await Native.getSupportedFormats()).includes('qr_code')) return reader(new Native({ formats: ['qr_code'] }));
    } catch {
      // Present but not working (no shape detection service): use the ponyfill.
    }
  }
  const { BarcodeDetector, prepareZXingModule } = await import('barcode-detector/ponyfill');
  prepareZXingModule({
    overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? zxingWasmUrl : prefix + path) },
  });
  return reader(new BarcodeDetector({ formats: ['qr_code'] }));
}
