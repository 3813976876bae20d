import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { DomainError } from '../../errors.ts';

/** One record of a CSV file and the line of the file it ends on (the header is line 1). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A field longer than this is no staff record: the file is refused rather than buffered. */
const maxRecordChars = 64 * 1024;

const mib = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MiB`;

/** The refusal of a file as a whole (not one of its rows): a 400 naming `file`. */
export function fileProblem(message: string): DomainError {
  return new DomainError('VALIDATION', message, [{ field: 'file', message }]);
}

/** The file is larger than an import takes. */
export function fileTooLarge(maxBytes: number): DomainError {
  return new DomainError(
    'PAYLOAD_TOO_LARGE',
    `The file is larger than ${mib(maxBytes)}, the most one import takes: split it (by organisation, say) and import each part.`,
  );
}

/**
 * Decodes the upload as UTF-8 chunk by chunk, counting its bytes: a byte that is no UTF-8
 * (a file saved as Windows-1252 or UTF-16) refuses the file, naming the line it is on, and
 * so does a file larger than `maxBytes`. Never holds more than one chunk.
 */
async function* utf8Text(body: AsyncIterable<Uint8Array>, maxBytes: number) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let lines = 1;
  let first = true;
  for await (const chunk of body) {
    if (first && chunk.length >= 2) {
      const utf16 =
        (chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff);
      if (utf16) {
        throw fileProblem(
          'The file is UTF-16 text, not UTF-8: save it from the spreadsheet as "CSV UTF-8 (comma delimited)" and upload it again.',
        );
      }
    }
    first = false;
    bytes += chunk.length;
    if (bytes > maxBytes) throw fileTooLarge(maxBytes);
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      // The bad byte is on the line after the last whole line decoded: find it in this chunk.
      const before = chunk.subarray(0, firstBadByte(chunk));
      let at = lines;
      for (const b of before) if (b === 0x0a) at++;
      throw fileProblem(
        `The file is not UTF-8 text: line ${at} holds bytes that are no UTF-8 character (a file saved as Windows-1252 or Latin-1, say). Save it from the spreadsheet as "CSV UTF-8 (comma delimited)" and upload it again.`,
      );
    }
    const nul = text.indexOf('\u0000');
    if (nul >= 0) {
      // No text holds NUL (and PostgreSQL stores none): a UTF-16 file without its mark, say.
      let at = lines;
      for (let i = text.indexOf('\n'); i >= 0 && i < nul; i = text.indexOf('\n', i + 1)) at++;
      throw fileProblem(
        `The file is not UTF-8 text: line ${at} holds a NUL character (a file saved as UTF-16, or no text at all). Save it from the spreadsheet as "CSV UTF-8 (comma delimited)" and upload it again.`,
      );
    }
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    yield text;
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch {
    throw fileProblem(
      `The file is not UTF-8 text: it ends in the middle of a character on line ${lines}. Save it as "CSV UTF-8" and upload it again.`,
    );
  }
}

/** Where in `chunk` the first byte that breaks UTF-8 is (approximately: a whole character's start). */
function firstBadByte(chunk: Uint8Array): number {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = chunk.length;
  // The longest prefix that decodes (in stream mode, an unfinished last character is fine).
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      strict.decode(chunk.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

/**
 * The records of a CSV upload, streamed: decoded and parsed (csv-parse) as the bytes
 * arrive, so a large file is never one string in memory. A byte-order mark is dropped and
 * empty lines skipped; a wrong number of fields is the caller's to report, by line.
 */
export async function* readCsv(
  body: AsyncIterable<Uint8Array>,
  options: { maxBytes: number },
): AsyncGenerator<CsvRecord> {
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: maxRecordChars,
  });
  const source = Readable.from(utf8Text(body, options.maxBytes));
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      yield { line: info.lines, fields: record };
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const code = (error as { code?: string }).code;
    const line = (error as { lines?: number }).lines;
    const where = line ? ` at line ${line}` : '';
    if (code === 'CSV_MAX_RECORD_SIZE') {
      throw fileProblem(
        `The file is not a CSV of staff records${where}: a field runs on for more than ${maxRecordChars.toLocaleString('en-GB')} characters (a quote never closed?).`,
      );
    }
    throw fileProblem(
      `The file cannot be read as CSV${where}: ${(error as Error).message.replace(/^Invalid Record Length: /, '')}`,
    );
  } finally {
    source.destroy();
    parser.destroy();
  }
}
