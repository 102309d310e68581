// QR reading with zxing-wasm (zxing-cpp compiled to WebAssembly), from camera frames or
// an uploaded photo. The WebAssembly binary is inside the bundle: nothing is fetched,
// and never from the library's default CDN.

import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";
import wasmBinary from "zxing-wasm/reader/zxing_reader.wasm";

prepareZXingModule({
  overrides: {
    wasmBinary,
    // Only consulted when wasmBinary is missing; never send it to a CDN.
    locateFile: (path) => path,
  },
});

const OPTIONS = { formats: ["QRCode"], tryHarder: true, tryRotate: true, tryInvert: true, maxNumberOfSymbols: 1 };
const MAX_SIDE = 2400; // phone photos are 4000 px and more; a passport QR stays readable
const FRAME_INTERVAL_MS = 150;

function firstText(results) {
  const hit = results.find((result) => result.isValid && result.text);
  return hit ? hit.text : null;
}

function imageDataOf(source, width, height, canvas) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/** The text of the QR code in an image file, or null when none can be read. */
export async function readImageFile(file) {
  let bitmap = null;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    // A format the browser cannot draw: let zxing's own image decoder try the bytes.
    return firstText(await readBarcodes(file, OPTIONS));
  }
  const imageData = imageDataOf(bitmap, bitmap.width, bitmap.height, document.createElement("canvas"));
  bitmap.close?.();
  return firstText(await readBarcodes(imageData, OPTIONS));
}

/**
 * Read QR codes from the camera into `video` until one is found; `onText` gets its text.
 * Returns a function that stops the camera. Throws when no camera can be opened.
 */
export async function startCamera(video, onText) {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } },
    audio: false,
  });
  video.srcObject = stream;
  await video.play();
  const canvas = document.createElement("canvas");
  let running = true;
  const stop = () => {
    running = false;
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  };
  const tick = async () => {
    if (!running) return;
    if (video.readyState >= 2 && video.videoWidth) {
      const text = firstText(await readBarcodes(imageDataOf(video, video.videoWidth, video.videoHeight, canvas), OPTIONS));
      if (text && running) {
        stop();
        onText(text);
        return;
      }
    }
    setTimeout(tick, FRAME_INTERVAL_MS);
  };
  tick();
  return stop;
}
