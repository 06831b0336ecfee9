/** Save a Blob as a file through a temporary object URL and <a download>. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    // Give the browser a moment to start the download before the URL goes.
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
  }
}

/** Leave the app for another site (the payment provider's page): a full navigation. */
export function leaveTo(url: string): void {
  // Only web pages: never a javascript: or data: URL, whatever the server said.
  if (!/^https?:\/\//i.test(url)) throw new TypeError('Refusing to leave for a non-http(s) URL');
  window.location.assign(url);
}
