/** The menu a fresh store starts with: prices in integer euro cents. */
import type { Product } from './types.ts';

type SeedProduct = Omit<Product, 'updatedAt' | 'available'>;

const coffee = (
  id: string,
  name: string,
  description: string,
  small: number,
  medium: number,
  large: number,
): SeedProduct => ({
  id,
  name,
  category: 'coffee',
  description,
  prices: { small, medium, large },
});

export const SEED_MENU: readonly SeedProduct[] = [
  {
    id: 'espresso',
    name: 'Espresso',
    category: 'coffee',
    description: 'A double shot of our house blend',
    prices: { small: 220, medium: 280 },
  },
  coffee('americano', 'Americano', 'Espresso lengthened with hot water', 260, 310, 360),
  coffee('flat-white', 'Flat White', 'Double ristretto with velvety milk', 340, 380, 420),
  coffee('cappuccino', 'Cappuccino', 'Espresso, steamed milk and a thick foam cap', 320, 360, 410),
  coffee('latte', 'Caffè Latte', 'Espresso with plenty of steamed milk', 330, 380, 430),
  coffee('mocha', 'Mocha', 'Latte with dark chocolate', 370, 420, 470),
  coffee('cold-brew', 'Cold Brew', 'Steeped for 18 hours, served over ice', 350, 400, 450),
  {
    id: 'chai-latte',
    name: 'Chai Latte',
    category: 'tea',
    description: 'Spiced black tea with steamed milk',
    prices: { small: 330, medium: 370, large: 420 },
  },
  {
    id: 'matcha-latte',
    name: 'Matcha Latte',
    category: 'tea',
    description: 'Ceremonial-grade matcha with oat milk',
    prices: { small: 380, medium: 430, large: 480 },
  },
  {
    id: 'green-tea',
    name: 'Sencha',
    category: 'tea',
    description: 'Japanese green tea',
    prices: { small: 250, medium: 290, large: 330 },
  },
  {
    id: 'hot-chocolate',
    name: 'Hot Chocolate',
    category: 'other-drinks',
    description: 'Belgian chocolate and whole milk',
    prices: { small: 310, medium: 360, large: 410 },
  },
  {
    id: 'orange-juice',
    name: 'Fresh Orange Juice',
    category: 'other-drinks',
    description: 'Pressed to order',
    prices: { small: 350, large: 490 },
  },
  {
    id: 'croissant',
    name: 'Butter Croissant',
    category: 'pastry',
    description: 'Baked this morning',
    prices: { medium: 240 },
  },
  {
    id: 'pain-au-chocolat',
    name: 'Pain au Chocolat',
    category: 'pastry',
    description: 'Two bars of dark chocolate',
    prices: { medium: 270 },
  },
  {
    id: 'banana-bread',
    name: 'Banana Bread',
    category: 'pastry',
    description: 'A thick slice, toasted on request',
    prices: { medium: 320 },
  },
  {
    id: 'cinnamon-bun',
    name: 'Cinnamon Bun',
    category: 'pastry',
    description: 'Cardamom dough, cinnamon butter',
    prices: { medium: 350 },
  },
  {
    id: 'avocado-toast',
    name: 'Avocado Toast',
    category: 'food',
    description: 'Sourdough, avocado, chili, lime',
    prices: { medium: 790 },
  },
  {
    id: 'granola-bowl',
    name: 'Granola Bowl',
    category: 'food',
    description: 'Yoghurt, house granola, berries',
    prices: { medium: 650 },
  },
];

export function seedProducts(now: string): Product[] {
  return SEED_MENU.map((p) => ({ ...p, available: true, updatedAt: now }));
}
