// Short stories made up by a seeded generator, in TinyStories' format (stories separated by lines
// holding <|endoftext|>). For a clone with no TinyStories text beside it: tests, examples and smoke
// runs train on these. The stories follow a small grammar — characters, places, things, feelings,
// a few plots — so a model has structure to learn (the loss falls quickly), unlike random words.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const names = ["Lily", "Tom", "Mia", "Ben", "Sue", "Max", "Anna", "Sam", "Lucy", "Tim"];
const animals = ["cat", "dog", "bird", "bunny", "frog", "duck", "bear", "fox"];
const adjectives = ["little", "big", "happy", "small", "kind", "funny", "brave", "shy"];
const places = ["park", "garden", "forest", "house", "yard", "beach", "pond", "hill"];
const things = ["ball", "kite", "box", "flower", "hat", "toy", "cake", "book"];
const colors = ["red", "blue", "green", "yellow", "pink", "shiny"];
const verbs = ["play", "run", "jump", "sing", "dance", "read", "swim", "hide"];
const feelings = ["happy", "sad", "scared", "excited", "surprised", "proud"];

/** mulberry32: a small seeded generator of uniform integers in [0, n). */
function generator(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) | 0;
  };
}

/** `count` stories from `seed` (the same seed gives the same stories). */
export function syntheticStories(count: number, seed = 1): string[] {
  const int = generator(seed);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const stories: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = pick(names),
      friend = pick(names.filter((n) => n !== name));
    const animal = pick(animals),
      place = pick(places),
      thing = pick(things),
      color = pick(colors);
    const verb = pick(verbs),
      feeling = pick(feelings);
    const lines = [`Once upon a time, there was a ${pick(adjectives)} ${animal} named ${name}. ${name} liked to ${verb} in the ${place}.`];
    switch (int(3)) {
      case 0:
        lines.push(
          `One day, ${name} found a ${color} ${thing} near a tree. ${name} was very ${feeling}.`,
          `${name} showed the ${thing} to ${friend}. "Look at my ${color} ${thing}!" said ${name}.`,
          `${friend} smiled and said, "Let's ${verb} with it together." They played all day.`,
        );
        break;
      case 1:
        lines.push(
          `One day, ${name} lost the ${thing} in the ${place}. ${name} felt ${pick(feelings)} and began to cry.`,
          `${friend} came to help. They looked under the rocks and behind the ${pick(things)}.`,
          `At last, ${friend} found the ${thing}. ${name} said, "Thank you, ${friend}!" They were friends forever.`,
        );
        break;
      default:
        lines.push(
          `One day, it began to rain. ${name} could not ${verb} outside, so ${name} was ${feeling}.`,
          `Mom said, "You can ${pick(verbs)} in the house." ${name} took a ${color} ${thing} and had fun.`,
          `When the sun came out, ${name} ran to the ${place} to ${verb} with ${friend}.`,
        );
    }
    stories.push(lines.join("\n"));
  }
  return stories;
}

/** Writes `count` synthetic stories to `path` in TinyStories' format; returns `path`. */
export function writeSyntheticStories(path: string, count = 400, seed = 1): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    syntheticStories(count, seed)
      .map((s) => `${s}\n<|endoftext|>\n`)
      .join(""),
  );
  return path;
}
