import { Agent, request } from 'node:http';

/**
 * JSON over HTTP/1.1 with kept-alive connections, for the benchmarks' clients. Node's fetch (undici)
 * spends 0.4–0.7 ms of CPU on a request on this kind of machine, node:http about 0.2 ms; on two cores
 * that the systems under test share with their client, the client's own CPU shows in their latency.
 * Both systems are driven through this client.
 */
export class JsonClient {
  readonly #host: string;
  readonly #port: number;
  readonly #headers: Record<string, string>;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(baseUrl: string, headers: Record<string, string> = {}) {
    const url = new URL(baseUrl);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#headers = { 'content-type': 'application/json', ...headers };
  }

  post<T>(path: string, body: unknown): Promise<T> {
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#host,
          port: this.#port,
          path,
          method: 'POST',
          agent: this.#agent,
          headers: { ...this.#headers, 'content-length': Buffer.byteLength(data) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if ((res.statusCode ?? 0) >= 300) reject(new Error(`${path}: HTTP ${res.statusCode}: ${text}`));
            else resolve(JSON.parse(text) as T);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
