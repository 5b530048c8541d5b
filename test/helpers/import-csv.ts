/** CSV files of farmers for import tests. */
export const HEADER = 'msisdn,gender,birthYear,region,crops,farmSize,language';

/** The number of the i-th generated farmer (07..., Kenyan national format). */
export const msisdn = (i: number) => `07${String(20_000_000 + i).padStart(8, '0')}`;

/** `rows` good farmers, with the given file lines (the header is line 1) replaced by bad ones. */
export function farmersCsv(rows: number, bad: Record<number, string> = {}): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) lines.push(bad[i + 2] ?? `${msisdn(i)},${i % 2 ? 'male' : 'female'},${1960 + (i % 50)},Nakuru,maize;beans,${(i % 7) + 0.5},sw`);
  return lines.join('\n') + '\n';
}
